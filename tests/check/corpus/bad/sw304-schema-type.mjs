export const meta = { name: 'bad', description: 'a workflow with a mistake' }
const out = await agent('List the files', {
  schema: { type: 'object', properties: { files: { type: 'strng' } } },
})
export default out
// expect: SW304 3:58
