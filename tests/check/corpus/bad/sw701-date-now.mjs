export const meta = { name: 'bad', description: 'a workflow with a mistake' }
// Date.now() in a comment and in a string is fine: 'Date.now()'
const stamp = Date.now()
export default stamp
// expect: SW701 3:15
