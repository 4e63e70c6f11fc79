export const meta = {
  name: 'build',
  description: 'Build on the cluster',
  phases: [{ title: 'Build', resources: { agents: -1 } }],
}
export default 1
// expect: SW106 4:41
