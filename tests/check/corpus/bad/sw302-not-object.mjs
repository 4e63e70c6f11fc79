export const meta = { name: 'bad', description: 'a workflow with a mistake' }
export default await agent('Review the diff', 'deep')
// expect: SW302 2:47
