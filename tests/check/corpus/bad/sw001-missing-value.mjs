export const meta = { name: 'bad', description: 'a workflow with a mistake' }
const limit =
  ;
export default await agent('Review', { retry: })
// expect: SW001 2:13
// expect: SW001 4:46
