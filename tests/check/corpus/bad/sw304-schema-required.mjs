export const meta = { name: 'bad', description: 'a workflow with a mistake' }
const out = await agent('List the files', { schema: { type: 'object', required: 'files' } })
export default out
// expect: SW304 2:81
