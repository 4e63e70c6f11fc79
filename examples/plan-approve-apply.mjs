// @ts-check
// Plan, approve, apply: an agent plans a change without making it, a person approves the
// plan (smol-wf approve / deny, from any terminal), and only then do agents act on it.
// Waiting costs nothing; `smol-wf run … --on-wait exit` stops instead (exit code 3) and
// `smol-wf run --resume-run RUN_ID` goes on after the answer, without planning again.
import { requestApproval } from 'workflow:human'

export const meta = {
  name: 'plan-approve-apply',
  description: 'Plan a change, ask a person to approve the plan, then apply it step by step',
  phases: [{ title: 'Plan' }, { title: 'Approve' }, { title: 'Apply', permissions: 'edit' }],
}

/** @type {SmolWf.Schema<{ summary: string, steps: string[] }>} */
const PLAN = {
  type: 'object',
  required: ['summary', 'steps'],
  properties: {
    summary: { type: 'string' },
    steps: { type: 'array', items: { type: 'string' }, minItems: 1, maxItems: 8 },
  },
}

const task = args.task ?? 'Rename the config loader to settings'

phase('Plan')
const plan = await agent(`Plan this change, but do not make it: ${task}. Give the steps in order.`, {
  schema: PLAN,
  label: 'plan',
})

phase('Approve')
const steps = plan.steps.map((step, i) => `${i + 1}. ${step}`).join('\n')
const decision = await requestApproval(`Apply this plan?\n${plan.summary}\n${steps}`, {
  label: 'plan',
  timeout: 24 * 60 * 60 * 1000, // a day; then onTimeout decides (default: deny)
})

phase('Apply')
const note = decision.note ? `\nThe reviewer noted: ${decision.note}` : ''
const applied = decision.approved
  ? await pipeline(plan.steps, (step) => agent(`Apply this step of the approved plan: ${step}${note}`, { label: step.slice(0, 40) }))
  : []
if (!decision.approved) log(`not applied: denied by ${decision.by}${note}`)

export default { task, plan, decision, applied }
