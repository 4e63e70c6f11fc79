export const meta = { name: 'bad', description: 'a workflow with a mistake' }
export default await agent('Review the diff', { cache: 'always' })
// expect: SW302 2:56
