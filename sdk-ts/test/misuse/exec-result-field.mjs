// @ts-check
// Misuse: reading exec()'s exit code under the wrong name
// expect: TS2551 exit_code
export const meta = { name: 'misuse', description: 'must not type-check' }

import { exec } from 'workflow:sandbox'
const run = await exec('local-worktree/default', { command: 'git' })
export default run.exit_code
