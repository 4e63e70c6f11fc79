export const meta = {
  name: 'review',
  description: 'Review the diff',
  phases: [{ title: 'Scan' }, { title: 'Review' }],
}
phase('Scan')
const files = await agent('List the files')
phase(`Reveiw`)
export default await agent(`Review ${files}`)
// expect: SW201 8:7
