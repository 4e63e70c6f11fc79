export const meta = { name: 'bad', description: 'a workflow with a mistake' }
export default await agent('Fix the bug', { isolation: 'git-worktree', permissions: 'edit' })
// expect: SW302 2:56
