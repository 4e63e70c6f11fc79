export const meta = {
  name: 'deep-research',
  description: 'Break a question into sub-questions, research each, and synthesise',
  phases: [{ title: 'Plan' }, { title: 'Research' }, { title: 'Synthesise' }],
}

const question = (args || 'How do tides work?').trim()
phase('Plan')
const plan = await agent(`Break this question into 3 to 5 sub-questions: ${question}`, {
  schema: {
    type: 'object',
    required: ['subQuestions', 'slug'],
    properties: {
      subQuestions: {
        type: 'array',
        minItems: 3,
        maxItems: 5,
        items: { type: 'string', minLength: 10, maxLength: 200 },
      },
      slug: { type: 'string', pattern: '^[a-z]+(-[a-z]+)*$', maxLength: 40 },
      confidence: { type: 'number', minimum: 0, maximum: 1 },
      depth: { type: 'integer', minimum: 1, maximum: 3 },
    },
  },
})
if (!plan) return { error: 'planning failed' }
phase('Research')
const findings = await pipeline(plan.subQuestions, (sub) => agent(`Research: ${sub}`))
phase('Synthesise')
const answer = await agent(`Answer "${question}" from: ${findings.filter(Boolean).join('\n')}`)
return { slug: plan.slug, subQuestions: plan.subQuestions.length, answer }
