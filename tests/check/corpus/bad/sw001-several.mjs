export const meta = { name: 'bad', description: 'a workflow with a mistake' }
const a = ;
log(a))
export default 1
// expect: SW001 2:9
// expect: SW001 3:7
