export const meta = {
  name: 'review',
  description: 'Review the diff',
  phases: [{ title: 'Review', provider: ['codex', 'claude'] }],
}
export default 1
// expect: SW106 4:51
