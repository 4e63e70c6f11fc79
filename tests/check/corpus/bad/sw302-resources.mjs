export const meta = { name: 'bad', description: 'a workflow with a mistake' }
export default await agent('Build it', { resources: { CPU: 'two' } })
// expect: SW302 2:53
