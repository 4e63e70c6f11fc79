export const meta = { name: 'bad', description: 'a workflow with a mistake' }
export default await agent('Review the diff', { phase: 2, agentType: '' })
// expect: SW302 2:56
// expect: SW302 2:70
