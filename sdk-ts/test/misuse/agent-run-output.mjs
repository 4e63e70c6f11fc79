// @ts-check
// Misuse: agentRun() resolves to a record, not the text
// expect: TS2339 'toUpperCase'
import { agentRun } from 'workflow:extra'
export const meta = { name: 'misuse', description: 'must not type-check' }

const run = await agentRun('x', { isolation: 'worktree', permissions: 'edit' })
export default run.toUpperCase()
