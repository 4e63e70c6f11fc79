export const meta = {
  name: 'review',
  description: 'Review the diff',
  phases: [{ title: 'Review', cache: 'yes' }],
}
export default 1
// expect: SW105 4:38
