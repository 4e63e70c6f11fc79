export const meta = {
  name: 'cached',
  description: 'Calls that reuse answers of earlier runs, and one that never does',
  phases: [{ title: 'Review', cache: true }, { title: 'Decide', cache: false }],
}
phase('Review')
const notes = await agent('Review the diff', { label: 'review' })
phase('Decide')
export default await agent(`Decide: ${notes}`, { cache: true, key: 'v2' })
