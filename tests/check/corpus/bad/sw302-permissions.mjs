export const meta = { name: 'bad', description: 'a workflow with a mistake' }
export default await agent('Fix the bug', { permissions: 'write', onRefusal: 'ignore' })
// expect: SW302 2:58
// expect: SW302 2:78
