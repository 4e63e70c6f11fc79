export const meta = { name: 'bad', description: 'a workflow with a mistake' }
const prompt = 'Review the diff
export default await agent(prompt)
// expect: SW001 2:16
