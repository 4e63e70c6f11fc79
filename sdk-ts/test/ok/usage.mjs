// @ts-check
// Correct uses of every part of the SDK; tests/sdk/test_types.py requires no errors here.
// `Is<Actual, Expected>` is `true` only when the two types are identical, so
// `/** @type {Is<typeof x, string>} */ (true)` pins the inferred type of `x`.
import extra, { sleep, parallelSettled, pipelineSettled, agentRun } from 'workflow:extra'
import sandbox, { exec } from 'workflow:sandbox'
import human, { requestApproval, waitForSignal } from 'workflow:human'

/**
 * @template A, B
 * @typedef {(<G>() => G extends A ? 1 : 2) extends (<G>() => G extends B ? 1 : 2) ? true : false} Is
 */

/** @param {true} _same */
function same(_same) {}

/** @satisfies {WorkflowMetadata} */
export const meta = {
  name: 'usage',
  description: 'Every API, used correctly',
  whenToUse: 'never: it is a type test',
  phases: [{ title: 'Plan', model: 'deep', provider: 'debug' }, { title: 'Do', detail: 'work', permissions: 'edit' }, { title: 'Check', provider: ['codex', 'claude-code'] }],
  budget: { outputTokens: 1000, totalTokens: 5000, usd: 1.5 },
}

/** @type {SmolWf.Schema<{ summary: string, score: number }>} */
const REPORT = {
  type: 'object',
  required: ['summary', 'score'],
  properties: { summary: { type: 'string' }, score: { type: 'number' } },
}

phase('Plan')
phase('Do', { note: 'informational' })
const text = await agent('plain')
same(/** @type {Is<typeof text, string>} */ (true))
const typed = await agent('typed', { schema: REPORT, label: 'r', retry: { maxAttempts: 3, backoffMs: 10 } })
same(/** @type {Is<typeof typed.summary, string>} */ (true))
same(/** @type {Is<typeof typed.score, number>} */ (true))
const untyped = await agent('untyped', { schema: { type: 'object' } })
same(/** @type {Is<typeof untyped, any>} */ (true)) // a schema without a type parameter
await agent('all options', {
  model: 'gpt-5?provider=openai&thinking=high',
  provider: ['claude-code', 'codex'],
  phase: null,
  retry: null,
  label: 'x',
  agentType: 'reviewer',
  effort: 'xhigh',
  isolation: { type: 'sandbox', profile: 'local-worktree/default', cwd: 'sub' },
  timeout: 60000,
  idleTimeout: 10000,
  key: 'k',
})
await agent('worktree', { isolation: 'worktree', provider: 'debug' })
await agent('null options', null)

const [a, b] = await parallel([() => agent('a'), () => Promise.resolve(1)])
same(/** @type {Is<typeof a, string | null>} */ (true))
same(/** @type {Is<typeof b, number | null>} */ (true))

const staged = await pipeline(
  ['x', 'y'],
  (item, same, index) => agent(`${item} ${same} ${index}`),
  (draft) => draft.length,
  (length, item) => ({ length, item }),
)
same(/** @type {Is<typeof staged, ({ length: number, item: string } | null)[]>} */ (true))
const passthrough = await pipeline([1, 2])
same(/** @type {Is<typeof passthrough, (number | null)[]>} */ (true))

const settled = await parallelSettled([() => agent('s')])
const first = settled[0]
if (first.ok) same(/** @type {Is<typeof first.value, string>} */ (true))
else same(/** @type {Is<typeof first.error, string>} */ (true))
const settledItems = await pipelineSettled([1], (n) => n * 2)
same(/** @type {Is<typeof settledItems, SmolWf.Settled<number>[]>} */ (true))
same(/** @type {Is<typeof extra.sleep, typeof sleep>} */ (true))
same(/** @type {Is<typeof SW.extra.pipelineSettled, typeof pipelineSettled>} */ (true))
await sleep(0)

const run = await exec('local-worktree/default', { command: 'git', args: ['status'], cwd: '.', env: { A: 'b' }, stdin: '' })
same(/** @type {Is<typeof run, { exitCode: number, stdout: string, stderr: string }>} */ (true))
same(/** @type {Is<typeof sandbox.exec, typeof SW.sandbox.exec>} */ (true))

const edit = await agentRun('Fix the test', { isolation: 'worktree', permissions: 'edit', onRefusal: 'fail' })
same(/** @type {Is<typeof edit.output, string>} */ (true))
const branch = edit.worktree ? edit.worktree.branch : null
same(/** @type {Is<typeof branch, string | null>} */ (true))
const needs = edit.refusals.map((refusal) => refusal.needs)
same(/** @type {Is<typeof needs, ('read-only' | 'edit' | 'full' | null)[]>} */ (true))
const typedRun = await agentRun('y', { schema: REPORT })
same(/** @type {Is<typeof typedRun.output, typeof typed>} */ (true))
same(/** @type {Is<typeof SW.extra.agentRun, typeof agentRun>} */ (true))

const decision = await requestApproval('Apply?', { label: 'plan', timeout: 60000, onTimeout: 'approve' })
same(/** @type {Is<typeof decision, SmolWf.Approval>} */ (true))
same(/** @type {Is<typeof decision.note, string | null>} */ (true))
if (decision.approved) log(decision.by, decision.at)
await requestApproval('Plain?')
await SW.human.requestApproval('Null options?', null)
/** @type {SmolWf.Schema<{ url: string }>} */
const DEPLOY = { type: 'object', required: ['url'], properties: { url: { type: 'string' } } }
const deploy = await waitForSignal('deploy', { schema: DEPLOY, timeout: 1000 })
same(/** @type {Is<typeof deploy.url, string>} */ (true))
const anything = await human.waitForSignal('any')
same(/** @type {Is<typeof anything, any>} */ (true))
same(/** @type {Is<typeof SW.human.waitForSignal, typeof waitForSignal>} */ (true))

const child = await workflow({ scriptPath: './child.mjs' }, { file: 'a' })
const named = await workflow('review-file')
same(/** @type {Is<typeof named, any>} */ (true))
same(/** @type {Is<typeof budget.total, number | null>} */ (true))
const left = budget.spent() + budget.remaining()
same(/** @type {Is<typeof left, number>} */ (true))
log('values', 1, { a: 1 }, new Error('e'))
console.warn('like log')
const target = args.target ?? 'world'
const epoch = new Date(0).getTime()
same(/** @type {Is<typeof epoch, number>} */ (true))

/** @type {WorkflowFunction} */
export default async function (input, ctx) {
  same(/** @type {Is<typeof input, typeof args>} */ (true))
  ctx.phase('ctx')
  const result = await ctx.agent('from ctx', { schema: REPORT })
  await ctx.extra.sleep(1)
  const [one] = await ctx.parallel([() => ctx.workflow('x')])
  const piped = await ctx.pipeline([1], (n) => n + 1)
  ctx.log(ctx.budget.remaining(), ctx.args, one, piped)
  return { text, typed, untyped, a, b, staged, settled, run, child, named, target, result }
}
