export const meta = { name: 'bad', description: 'a workflow with a mistake' }
export default await agent('Review the diff', { label: 42, model: 5 })
// expect: SW303 2:56
// expect: SW303 2:67
