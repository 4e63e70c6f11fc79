export const meta = { name: 'bad', description: 'a workflow with a mistake' }
const pick = Math.random() < 0.5 ? 'a' : 'b'
export default pick
// expect: SW702 2:14
