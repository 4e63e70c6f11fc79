export const meta = { name: 'bad', description: 'a workflow with a mistake' }
const review = await workflow('no-such-workflow-anywhere', { file: 'a.ts' })
export default review
// expect: SW502 2:31
