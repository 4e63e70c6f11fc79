export const meta = {
  name: 'review',
  description: 'Review the diff',
  phases: [{ title: 'Review' }, { title: 'Review', model: 'deep' }],
}
export default 1
// expect: SW105 4:33
