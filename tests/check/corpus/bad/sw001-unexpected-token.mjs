export const meta = { name: 'bad', description: 'a workflow with a mistake' }
const files = await agent('List the files'))
export default files
// expect: SW001 2:44
