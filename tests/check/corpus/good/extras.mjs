#!/usr/bin/env smol-wf run
import * as extra from 'workflow:extra'
import sandbox, { exec } from 'workflow:sandbox'
import { agentRun as record, parallelSettled, pipelineSettled, sleep } from 'workflow:extra'

export const meta = {
  name: 'extras',
  description: "Every extra: sleep, settled helpers, agentRun, exec — and 'Date.now()' in a string",
}

// Date.now(), Math.random() and new Date() in comments are fine.
const note = `Math.random() and new Date() in a template are fine too`
const base = { label: 'base', timeout: 60000, idleTimeout: 0, onRefusal: 'fail' }
const model = args.model ?? 'gpt-5'
const when = new Date(args.now ?? 0)

await sleep(10)
await SW.extra.sleep(10)
const settled = await parallelSettled([
  () => agent('One', { ...base, model }),
  () => record('Two', { isolation: 'worktree', permissions: 'edit' }),
  () => extra.agentRun('Three', { isolation: { type: 'sandbox', profile: 'local-worktree/default' } }),
])
const staged = await pipelineSettled(['a', 'b'], (item) => agent(item, { phase: null }))
const listing = await exec('local-worktree/default', { command: 'ls' })
const again = await sandbox.exec('local-worktree/default', { command: 'pwd' })
const count = await agent('Count', { provider: 'pi', schema: { type: 'integer' } })
function require(name) {
  return args[name]
}

export default { note, when, settled, staged, listing, again, count, config: require('config') }
