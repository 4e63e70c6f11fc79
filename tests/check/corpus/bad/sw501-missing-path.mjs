export const meta = { name: 'bad', description: 'a workflow with a mistake' }
const review = await workflow({ scriptPath: './children/reveiw-file.mjs' }, { file: 'a.ts' })
export default review
// expect: SW501 2:45
