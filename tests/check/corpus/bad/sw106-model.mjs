export const meta = {
  name: 'review',
  description: 'Review the diff',
  phases: [{ title: 'Review', model: 'gpt-5?effort=high' }],
}
export default 1
// expect: SW106 4:38
