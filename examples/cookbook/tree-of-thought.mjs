// @ts-check
// Tree of thought: branch, score each option with a schema, expand only the best; bounded depth.
export const meta = {
  name: 'tree-of-thought',
  description: 'Plan by branching, scoring and expanding the most promising step, level by level',
  phases: [{ title: 'Search' }, { title: 'Solve' }],
}

const problem = String(args.problem ?? 'Cut the p99 latency of our checkout API from 900 ms to 300 ms')
const breadth = Number(args.breadth ?? 3)
const depth = Number(args.depth ?? 3)

// Each branch takes its own approach, so the options do not all say the same thing.
const APPROACHES = ['most direct', 'cheapest', 'most thorough', 'least risky', 'most unusual']

const SCORE = {
  type: 'object',
  required: ['score', 'reason'],
  properties: {
    score: { type: 'integer', minimum: 1, maximum: 10 },
    reason: { type: 'string' },
  },
}

/** @type {string[]} */
const path = []
/** @type {Array<{ level: number, scores: number[], chosen: number }>} */
const explored = []

phase('Search')
for (let level = 1; level <= depth; level++) {
  const sofar = path.length ? path.map((s, i) => `${i + 1}. ${s}`).join('\n') : '(none yet)'
  // Branch: one agent per option, so the options do not anchor on each other.
  const options = await parallel(
    Array.from({ length: breadth }, (_, i) => () =>
      agent(
        `Problem: ${problem}\nSteps chosen so far:\n${sofar}\n` +
          `Propose the ${APPROACHES[i % APPROACHES.length]} next step you can think of, in two sentences.`,
        { label: `L${level} option ${i + 1}` },
      ),
    ),
  )
  // Score every option independently; a failed branch scores 0 and is never chosen.
  const scores = await parallel(
    options.map((option, i) => () =>
      option === null
        ? null
        : agent(
            `Problem: ${problem}\nSteps so far:\n${sofar}\nCandidate next step: ${option}\n` +
              'Rate from 1 to 10 how likely this step is to lead to a solution.',
            { schema: SCORE, label: `L${level} score ${i + 1}` },
          ),
    ),
  )
  const values = scores.map((s) => s?.score ?? 0)
  const best = values.indexOf(Math.max(...values))
  const chosen = options[best]
  if (!chosen || !(values[best] > 0)) break // every branch failed: stop with the path so far
  path.push(chosen)
  explored.push({ level, scores: values, chosen: best })
}

phase('Solve')
const plan = await agent(`Problem: ${problem}\nWrite a plan that follows these steps:\n${path.join('\n')}`)

export default { problem, path, explored, plan }
