// @ts-check
// Isolation: an agent and a command each run in a throwaway git worktree of HEAD.
//
// Run it from inside a git repository with at least one commit, with
// smol-sandbox-local-worktree on PATH (pip installs it next to smol-wf):
//
//   cd my-repo && smol-wf run /path/to/examples/isolation.mjs
//
// Each session is a detached worktree at HEAD, so the agent never sees (or touches) your
// uncommitted changes, and the worktree is removed when the call ends.
import { exec } from 'workflow:sandbox'

export const meta = {
  name: 'isolation',
  description: 'Run an agent and a git command in throwaway worktrees of HEAD',
  phases: [{ title: 'Agent' }, { title: 'Command' }],
}

const PROFILE = 'local-worktree/default'

// The provider runs in the session's directory; the step records the isolation it used.
phase('Agent')
const proposal = await agent('Tidy up the README of this repository and describe what you changed', {
  isolation: { type: 'sandbox', profile: PROFILE },
  label: 'isolated agent',
})

// exec() runs one program with no shell: the command and its args are passed as they are.
// A non-zero exit is returned, not thrown; only a sandbox failure rejects.
phase('Command')
const status = await exec(PROFILE, { command: 'git', args: ['status', '--short'] })
log(`git status exited ${status.exitCode}: ${status.stdout === '' ? 'clean' : 'changes'}`)

export default { proposal, status, clean: status.exitCode === 0 && status.stdout === '' }
