export const meta = { name: 'bad', description: 'a workflow with a mistake' }
const count = await agent('Count the files', { provider: 'codex', schema: { type: 'integer' } })
export default count
// expect: SW305 2:75
