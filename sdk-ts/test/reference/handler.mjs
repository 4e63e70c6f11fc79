// A function-style workflow typed with the reference SDK's names.
import { sleep } from 'workflow:extra'

/** @type {import('@smol-workflows/sdk').WorkflowMetadata} */
export const meta = { name: 'typed-handler', description: 'Review each file it is given' }

/** @type {import('@smol-workflows/sdk').WorkflowHandler<{ files?: string[] }, { reviews: (string | null)[] }>} */
export default async function review(input, ctx) {
  const files = input.files ?? ['a.txt', 'b.txt']
  ctx.phase('Review')
  await sleep(1)
  /** @type {import('@smol-workflows/sdk').WorkflowContext['agent']} */
  const ask = ctx.agent
  const reviews = await ctx.parallel(files.map((file) => () => ask(`Review ${file}`)))
  ctx.log(`reviewed ${reviews.length} files, ${ctx.budget.remaining()} tokens left`)
  return { reviews }
}
