export const meta = { name: 'bad', description: 'a workflow with a mistake' }
export default await agent('Review the diff', { timeout: '5m', idleTimeout: -1 })
// expect: SW302 2:58
// expect: SW302 2:77
