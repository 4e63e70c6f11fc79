// @ts-check
// Generate and filter: generate candidates in parallel, gate each with a schema-typed check.
import { pipelineSettled } from 'workflow:extra'

export const meta = {
  name: 'generate-and-filter',
  description: 'Generate candidate names in parallel, check each against the rules, pick from the survivors',
  phases: [{ title: 'Generate' }, { title: 'Check' }, { title: 'Pick' }],
}

const goal = String(args.goal ?? 'name for a command-line tool that runs AI workflow scripts')
const RULES = [
  'at most 12 characters',
  'easy to type: lowercase letters and hyphens only',
  'not the name of a well-known existing tool',
]
const rules = RULES.map((r, i) => `${i + 1}. ${r}`).join('\n')
// Each candidate gets its own angle, so the parallel generators do not all say the same thing.
const ANGLES = ['short', 'playful', 'descriptive', 'technical', 'memorable']

const CHECK = {
  type: 'object',
  required: ['pass', 'failedRules', 'reason'],
  properties: {
    pass: { type: 'boolean' },
    failedRules: { type: 'array', items: { type: 'integer', minimum: 1, maximum: RULES.length } },
    reason: { type: 'string' },
  },
}

// pipelineSettled: each candidate is checked as soon as it is generated, and a failed
// generation or check keeps its error ({ok: false, error}) instead of becoming null.
const results = await pipelineSettled(
  ANGLES,
  (angle) =>
    agent(`Suggest one ${angle} ${goal}. Reply with the name only.`, { phase: 'Generate', label: angle }),
  async (name, angle) => ({
    name,
    check: await agent(
      `Candidate: ${name}\nCheck it against every rule:\n${rules}\nIt passes only if it meets all of them.`,
      { schema: CHECK, phase: 'Check', label: `check ${angle}` },
    ),
  }),
)

const kept = results.flatMap((r) => (r.ok && r.value.check.pass ? [r.value.name] : []))
const rejected = results.flatMap((r) => (r.ok && !r.value.check.pass ? [r.value] : []))
const errors = results.flatMap((r, i) => (r.ok ? [] : [`${ANGLES[i]}: ${r.error}`]))

phase('Pick')
const pick = kept.length
  ? await agent(`Pick the best ${goal} from these and say why in one line: ${kept.join(', ')}`)
  : null

export default { kept, rejected: rejected.length, errors, pick }
