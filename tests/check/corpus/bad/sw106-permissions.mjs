export const meta = {
  name: 'review',
  description: 'Review the diff',
  phases: [{ title: 'Review', permissions: 'write' }],
}
export default 1
// expect: SW106 4:44
