// @ts-check
// Child workflows run concurrently, each a durable step: on resume a finished child replays whole.
export const meta = {
  name: 'children',
  description: 'Review several files, one child workflow per file, then summarise',
}

const files = args.files ?? ['src/app.ts', 'src/db.ts', 'src/http.ts']
const reviews = await parallel(
  files.map((file) => () => workflow({ scriptPath: './children/review-file.mjs' }, { file })),
)
const summary = await agent(`Summarise these reviews: ${JSON.stringify(reviews)}`)
export default { reviews, summary }
