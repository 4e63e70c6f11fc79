export const meta = { name: 'bad', description: 'a workflow with a mistake' }
export default await agent('Review the diff', { effort: 'huge' })
// expect: SW302 2:57
