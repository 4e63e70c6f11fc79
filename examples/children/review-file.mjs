// @ts-check
// A child workflow: reviews one file. Run through examples/children.mjs.
export const meta = {
  name: 'review-file',
  description: 'Review one file and rate it',
  phases: [{ title: 'Review' }],
}

phase('Review')
const notes = await agent(`Review ${args?.file ?? 'README.md'} and list problems`)
const rating = await agent(`Rate these review notes from 1 to 5: ${notes}`, {
  schema: { type: 'object', required: ['score'], properties: { score: { type: 'integer', minimum: 1, maximum: 5 } } },
})
export default { file: args?.file, notes, score: rating.score }
