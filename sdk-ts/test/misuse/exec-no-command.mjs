// @ts-check
// Misuse: exec() without a command
// expect: TS2345 command
export const meta = { name: 'misuse', description: 'must not type-check' }

import { exec } from 'workflow:sandbox'
export default await exec('local-worktree/default', { args: ['status'] })
