// A script annotated the way the reference runtime's examples are, against
// @smol-workflows/sdk; tests/sdk/test_types.py checks it against this package through
// the package alias, and runs it.

/** @type {import('@smol-workflows/sdk').WorkflowMetadata} */
export const meta = {
  name: 'typed-research',
  description: 'Split a question, research each part, then summarise',
  phases: [
    { title: 'Plan', detail: 'Split the question' },
    { title: 'Research', model: 'fast' },
  ],
}

/** @type {import('@smol-workflows/sdk').JSONSchema<{ parts: string[] }>} */
const PLAN = {
  type: 'object',
  required: ['parts'],
  properties: { parts: { type: 'array', items: { type: 'string' }, minItems: 2 } },
}

/** @type {import('@smol-workflows/sdk').AgentRunOptions} */
const quick = { label: 'quick look', phase: 'Research' }

phase('Plan')
const plan = await agent(`Split this question: ${args.question ?? 'why is the sky blue'}`, {
  schema: PLAN,
})

/** @type {import('@smol-workflows/sdk').ParallelTask<string>[]} */
const tasks = plan.parts.map((part) => () => agent(`Research: ${part}`, quick))

phase('Research')
const notes = await parallel(tasks)

/** @type {import('@smol-workflows/sdk').PipelineStage<string | null, string, string>} */
const summarise = (note, part) => agent(`Summarise ${part}: ${note ?? 'nothing found'}`)

const summaries = await pipeline(plan.parts, summarise)
log('spent', budget.spent())
export default { parts: plan.parts, notes, summaries }
