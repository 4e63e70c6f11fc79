// @ts-check
// The smallest useful workflow: one phase, two agents in parallel, one summary.
export const meta = {
  name: 'hello',
  description: 'Greet a target with two agents in parallel, then summarise',
  phases: [{ title: 'Greet' }, { title: 'Summarise' }],
}

const target = args.target ?? 'world'

phase('Greet')
const [formal, casual] = await parallel([
  () => agent(`Write a formal greeting for ${target}`, { label: 'formal' }),
  () => agent(`Write a casual greeting for ${target}`, { label: 'casual' }),
])

phase('Summarise')
const summary = await agent(`Combine these greetings: ${formal} / ${casual}`)
log('spent', budget.spent(), 'output tokens')

export default { target, formal, casual, summary }
