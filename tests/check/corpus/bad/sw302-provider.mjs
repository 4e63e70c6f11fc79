export const meta = { name: 'bad', description: 'a workflow with a mistake' }
const one = await agent('Review the diff', { provider: 'codx' })
const chain = await agent('Review the diff', { provider: ['codex', 'codex'] })
export default { one, chain }
// expect: SW302 2:56
// expect: SW302 3:58
