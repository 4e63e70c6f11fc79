export const meta = { name: 'bad', description: 'a workflow with a mistake' }
export default import.meta.url
// expect: SW602 2:16
