export const meta = { name: 'bad', description: 'a workflow with a mistake' }
const files = await agent('List the files', { label: 'list' }
// expect: SW001 2:26
