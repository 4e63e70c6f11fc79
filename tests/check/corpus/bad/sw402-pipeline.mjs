export const meta = { name: 'bad', description: 'a workflow with a mistake' }
const notes = await pipeline(['a.ts'], agent('Review the file'), (note) => note, 'done')
export default notes
// expect: SW402 2:40
// expect: SW402 2:82
