// Claude Code's form: a top-level return is the result, and there is no export default.
export const meta = {
  name: 'triage',
  description: 'Triage the open issues',
  whenToUse: 'when the issue queue grows',
  phases: [
    { title: 'List', detail: 'Find the open issues' },
    { title: 'Triage', model: 'deep', provider: ['claude-code', 'codex'], permissions: 'read-only' },
  ],
  budget: { outputTokens: 20000, usd: 2.5 },
}

const limit = Number(args?.limit ?? 10)

phase('List')
/** @type {{ issues: string[] }} */
const listed = /** @type {any} */ (await agent('List the open issues', {
  schema: { type: 'object', required: ['issues'], properties: { issues: { type: 'array', items: { type: 'string' } } } },
  label: 'list',
}) ?? { issues: [] })

phase('Triage')
const verdicts = await parallel(
  listed.issues.slice(0, limit).map((issue) => () => agent(`Triage ${issue}`, { effort: 'high' })),
)
const notes = await pipeline(
  verdicts.filter(Boolean),
  (verdict) => agent(`Summarise ${verdict}`, { retry: { maxAttempts: 2, backoffMs: 500 } }),
  async (summary, verdict, index) => ({ index, verdict, summary }),
)
return { notes }
