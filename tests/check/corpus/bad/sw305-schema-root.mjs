export const meta = { name: 'bad', description: 'a workflow with a mistake' }
const files = await agent('List the files', { schema: { type: 'array', items: { type: 'string' } } })
export default files
// expect: SW305 2:55
