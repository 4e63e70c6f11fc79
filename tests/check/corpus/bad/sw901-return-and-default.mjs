export const meta = { name: 'bad', description: 'a workflow with a mistake' }
const summary = await agent('Summarise the review')
function helper() {
  return 1
}
return summary
export default { summary }
// expect: SW901 6:1
