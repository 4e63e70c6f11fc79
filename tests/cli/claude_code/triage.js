export const meta = {
  name: 'triage',
  description: 'Triage one bug report passed as a string (or the default one)',
  phases: [{ title: 'Read' }, { title: 'Decide' }],
}

// Claude Code passes args verbatim: a string here, or undefined without args.
const report = (args || 'GO').trim()
phase('Read')
const summary = await agent(`Summarise this bug report in one line: ${report}`, { label: 'summary' })
phase('Decide')
const verdict = await agent(`Is this a duplicate? ${summary}`, {
  schema: { type: 'object', required: ['duplicate'], properties: { duplicate: { type: 'boolean' } } },
})
return { report, summary, duplicate: verdict.duplicate }
