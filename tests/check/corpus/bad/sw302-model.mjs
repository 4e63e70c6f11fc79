export const meta = { name: 'bad', description: 'a workflow with a mistake' }
const a = await agent('Review the diff', { model: 'gpt-5?provider=openai', provider: 'codex' })
const b = await agent('Review the diff', { model: 'gpt-5?tone=dry' })
export default { a, b }
// expect: SW302 2:51
// expect: SW302 3:51
