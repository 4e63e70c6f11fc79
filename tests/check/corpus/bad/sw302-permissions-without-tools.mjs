export const meta = { name: 'bad', description: 'a workflow with a mistake' }
export default await agent('Fix the bug', { provider: 'anthropic', permissions: 'edit' })
// expect: SW302 2:81
