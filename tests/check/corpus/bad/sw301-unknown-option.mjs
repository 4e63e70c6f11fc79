export const meta = { name: 'bad', description: 'a workflow with a mistake' }
const review = await agent('Review the diff', { retries: 2, labels: 'review', key: 'ok' })
export default review
// expect: SW301 2:49
// expect: SW301 2:61
