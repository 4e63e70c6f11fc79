// @ts-check
// Adversarial verification: an advocate defends each claim, a skeptic attacks it against
// the rules, and a panel of judges votes on the exchange; the majority decides.
export const meta = {
  name: 'verify-rules',
  description: 'Check announcement claims against rules with an advocate, a skeptic and a judge panel',
  phases: [{ title: 'Argue' }, { title: 'Judge' }],
}

// One --args-claims is a string, several are an array: flat() accepts both.
const claims = [
  args.claims ?? [
    'Search is 3x faster than in 2.0.',
    'Offline mode ships in March.',
    'The new login flow passed an external security audit (report SEC-2024-07).',
  ],
].flat().map(String)
const RULES = [
  'A performance number names the benchmark it comes from.',
  'No future feature is promised with a date.',
  'A security claim cites an audit report or a CVE.',
]
const rules = RULES.map((r, i) => `${i + 1}. ${r}`).join('\n')

// Judges look through different lenses, so they do not fail the same way.
const LENSES = [
  'Read the rules literally.',
  'Read the rules by their intent: what are they protecting the reader from?',
  'Assume the skeptic is right unless the advocate refutes every point.',
]
const VOTE = {
  type: 'object',
  required: ['verdict', 'rule', 'reason'],
  properties: {
    verdict: { enum: ['complies', 'violates', 'unclear'] },
    rule: { type: 'integer', minimum: 0, maximum: RULES.length, description: 'the rule broken, 0 if none' },
    reason: { type: 'string' },
  },
}

/**
 * The verdict a majority of the whole panel gave, else 'unclear': a failed vote counts against.
 * @param {Array<{ verdict: string } | null>} votes
 */
function majority(votes) {
  /** @type {Record<string, number>} */
  const tally = {}
  for (const vote of votes) if (vote) tally[vote.verdict] = (tally[vote.verdict] ?? 0) + 1
  const winner = Object.keys(tally).find((verdict) => tally[verdict] > LENSES.length / 2)
  return winner ?? 'unclear'
}

// Each claim moves through argue -> attack -> judge on its own, with no barrier between claims.
const checked = await pipeline(
  claims,
  (claim) =>
    agent(`Rules:\n${rules}\n\nClaim: ${claim}\nArgue, rule by rule, that the claim complies.`, {
      phase: 'Argue',
      label: 'advocate',
    }),
  async (defence, claim) => ({
    defence,
    attack: await agent(
      `Rules:\n${rules}\n\nClaim: ${claim}\nDefence: ${defence}\n` +
        'You are the skeptic: find the strongest way the claim breaks a rule, ' +
          'and show where the defence fails.',
      { phase: 'Argue', label: 'skeptic' },
    ),
  }),
  async ({ defence, attack }, claim) => {
    const votes = await parallel(
      LENSES.map((lens, j) => () =>
        agent(
          `Rules:\n${rules}\n\nClaim: ${claim}\nAdvocate: ${defence}\nSkeptic: ${attack}\n${lens}\n` +
            'Does the claim comply with the rules?',
          { schema: VOTE, phase: 'Judge', label: `judge ${j + 1}` },
        ),
      ),
    )
    return { claim, verdict: majority(votes), votes }
  },
)

const verdicts = checked.map((c, i) => c ?? { claim: claims[i], verdict: 'unclear', votes: [] })
const violations = verdicts.filter((v) => v.verdict !== 'complies').map((v) => v.claim)
log(`${violations.length} of ${claims.length} claims need another look`)

export default { verdicts, violations }
