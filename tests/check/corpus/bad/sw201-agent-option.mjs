export const meta = {
  name: 'review',
  description: 'Review the diff',
  phases: [{ title: 'Scan' }, { title: 'Review' }],
}
const files = await agent('List the files', { phase: 'scan' })
export default files
// expect: SW201 6:54
