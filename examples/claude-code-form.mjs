// The Claude Code workflow form: no default export, top-level await and return.
export const meta = {
  name: 'claude-code-form',
  description: 'A Claude Code style workflow that returns its result',
}

phase('Plan')
const plan = await agent(`Plan a change to ${args?.target ?? 'the project'}`)
phase('Check')
const checks = await parallel([
  () => agent(`Check the plan for risks: ${plan}`),
  () => agent(`Check the plan for missing tests: ${plan}`),
])
return { plan, checks }
