// @ts-check
// A workflow with its own test. examples/review-cassette.cassette.jsonl holds the answers
// of one recorded run, so CI checks the workflow with no model, key or network:
//
//   smol-wf run examples/review-cassette.mjs --replay examples/review-cassette.cassette.jsonl
//
// exits 0 with the same result every time, and starts no provider. After changing a
// prompt, record the cassette again (and review its diff):
//
//   smol-wf run examples/review-cassette.mjs --record examples/review-cassette.cassette.jsonl
export const meta = {
  name: 'review-cassette',
  description: 'Review files, then rank what was found; replayable from its cassette',
  phases: [{ title: 'Review' }, { title: 'Rank' }],
}

/** @type {SmolWf.Schema<{risk: 'low' | 'medium' | 'high', finding: string}>} */
const FINDING = {
  type: 'object',
  required: ['risk', 'finding'],
  properties: { risk: { enum: ['low', 'medium', 'high'] }, finding: { type: 'string' } },
}

const files = args.files ?? ['src/app.py', 'src/db.py']
phase('Review')
const findings = await pipeline(files, (file) =>
  agent(`Review ${file}: name its riskiest change in one sentence.`, {
    label: `review:${file}`,
    schema: FINDING,
  }),
)
phase('Rank')
const ranking = await agent(`Rank these findings by risk, highest first:\n${JSON.stringify(findings)}`, {
  label: 'rank',
})
export default { findings, ranking }
