export const meta = { name: 'bad', description: 'a workflow with a mistake' }
const today = new Date()
const also = new Date
const fixed = new Date(0)
export default { today, also, fixed, text: Date() }
// expect: SW701 2:15
// expect: SW701 3:14
// expect: SW701 5:44
