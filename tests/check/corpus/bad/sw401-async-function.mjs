export const meta = { name: 'bad', description: 'a workflow with a mistake' }
async function review(file) {
  return agent(`Review ${file}`)
}
const notes = await parallel([review('a.ts'), () => review('b.ts'), SW.extra.agentRun('c')])
export default notes
// expect: SW401 5:31
// expect: SW401 5:69
