// @ts-check
// Misuse: an isolation type the runtime does not know
// expect: TS2769 "docker"
export const meta = { name: 'misuse', description: 'must not type-check' }

export default await agent('x', { isolation: { type: 'docker', profile: 'local-worktree/default' } })
