// @ts-check
// Misuse: ctx.sandbox, which the function-style context does not have
// expect: TS2339 'sandbox' does not exist
export const meta = { name: 'misuse', description: 'must not type-check' }

/** @type {WorkflowFunction} */
export default async function (input, ctx) {
  return ctx.sandbox.exec('local-worktree/default', { command: 'ls' })
}
