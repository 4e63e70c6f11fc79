export const meta = { name: 'bad', description: 'a workflow with a mistake' }
export { sleep } from 'workflow:extra'
export * from 'workflow:sandbox'
export default 1
// expect: SW601 2:1
// expect: SW601 3:1
