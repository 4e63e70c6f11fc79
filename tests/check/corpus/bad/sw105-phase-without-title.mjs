export const meta = {
  name: 'review',
  description: 'Review the diff',
  phases: [{ title: 'Scan' }, { detail: 'Review each file' }, { title: 7 }],
}
export default 1
// expect: SW105 4:31
// expect: SW105 4:72
