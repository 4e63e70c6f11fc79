// @ts-check
// Structured output: the result is validated against the JSON Schema (and corrected once).
export const meta = {
  name: 'structured',
  description: 'Ask for findings as validated JSON',
}

const FINDINGS = {
  type: 'object',
  required: ['summary', 'findings'],
  properties: {
    summary: { type: 'string' },
    findings: {
      type: 'array',
      items: {
        type: 'object',
        required: ['file', 'severity'],
        properties: { file: { type: 'string' }, severity: { enum: ['low', 'medium', 'high'] } },
      },
    },
  },
}

const report = await agent(`Review ${args.target ?? 'the repository'} for bugs`, { schema: FINDINGS })
export default { summary: report.summary, count: report.findings.length }
