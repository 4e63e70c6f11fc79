export const meta = { name: 'bad', description: 'a workflow with a mistake' }
const { sleep } = await import('workflow:extra')
export default 1
// expect: SW602 2:25
