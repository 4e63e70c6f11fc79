export const meta = { name: 'bad', description: 'a workflow with a mistake' }
const [a, b] = await parallel([agent('Review a.ts'), () => agent('Review b.ts'), task])
export default { a, b }
// expect: SW401 2:32
