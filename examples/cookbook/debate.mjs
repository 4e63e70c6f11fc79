// @ts-check
// Debate: two sides argue in rounds, each answering the other's last argument; a judge decides with a schema.
export const meta = {
  name: 'debate',
  description: 'Argue a motion for and against over a few rounds, then have a judge decide',
  phases: [{ title: 'Debate' }, { title: 'Judge' }],
}

const motion = String(args.motion ?? 'We should rewrite the billing service in Rust this year')
const rounds = Number(args.rounds ?? 2)

const VERDICT = {
  type: 'object',
  required: ['winner', 'confidence', 'reason'],
  properties: {
    winner: { enum: ['for', 'against', 'tie'] },
    confidence: { type: 'integer', minimum: 1, maximum: 5 },
    reason: { type: 'string' },
  },
}

/**
 * One speech: an opening, or a rebuttal of the other side's last argument.
 * @param {'FOR' | 'AGAINST'} side
 * @param {number} round
 * @param {string | null | undefined} rebut
 * @returns {Promise<string>}
 */
function speak(side, round, rebut) {
  return agent(
    `Motion: ${motion}\nYou argue ${side} it. Round ${round} of ${rounds}.\n` +
      (rebut ? `Rebut your opponent's last argument: ${rebut}` : 'Open with your strongest argument.'),
    { label: `${side.toLowerCase()}, round ${round}` },
  )
}

/** @type {Array<{ round: number, for: string | null, against: string | null }>} */
const transcript = []

phase('Debate')
for (let round = 1; round <= rounds; round++) {
  const last = transcript.at(-1)
  // Both sides speak at once, each answering the other's argument from the previous round.
  const [pro, con] = await parallel([
    () => speak('FOR', round, last?.against),
    () => speak('AGAINST', round, last?.for),
  ])
  transcript.push({ round, for: pro, against: con })
}

phase('Judge')
const verdict = await agent(
  `Motion: ${motion}\nJudge this debate on the strength of evidence and rebuttals, not on style.\n` +
    transcript.map((t) => `Round ${t.round}\nFOR: ${t.for}\nAGAINST: ${t.against}`).join('\n\n'),
  { schema: VERDICT, label: 'judge' },
)

export default { motion, transcript, verdict }
