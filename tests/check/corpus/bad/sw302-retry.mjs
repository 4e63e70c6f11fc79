export const meta = { name: 'bad', description: 'a workflow with a mistake' }
const review = await agent('Review the diff', { retry: { maxAttempts: 0 } })
const again = await agent('Review the diff', { retry: 3 })
export default { review, again }
// expect: SW302 2:56
// expect: SW302 3:55
