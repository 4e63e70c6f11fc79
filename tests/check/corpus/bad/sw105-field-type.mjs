export const meta = {
  name: 'review',
  description: 'Review the diff',
  phases: [{ title: 'Review', detail: 3, model: null, provider: [], permissions: true }],
}
export default 1
// expect: SW105 4:39
// expect: SW105 4:49
// expect: SW105 4:65
// expect: SW105 4:82
