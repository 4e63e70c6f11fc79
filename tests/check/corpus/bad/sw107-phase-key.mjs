export const meta = {
  name: 'review',
  description: 'Review the diff',
  phases: [{ title: 'Review', modle: 'deep' }],
  budget: { dollars: 5 },
}
export default 1
// expect: SW107 4:31
// expect: SW107 5:13
