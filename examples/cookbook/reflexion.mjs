// @ts-check
// Reflexion: attempt, critique with a schema-typed verdict, revise using every lesson so far; bounded rounds.
export const meta = {
  name: 'reflexion',
  description: 'Improve an answer through bounded rounds of self-critique and revision',
  phases: [{ title: 'Attempt' }, { title: 'Reflect' }],
}

const task = String(args.task ?? 'Write a function that parses ISO-8601 durations such as P3DT4H30M')
const maxRounds = Number(args.maxRounds ?? 3)

const CRITIQUE = {
  type: 'object',
  required: ['verdict', 'problems', 'lesson'],
  properties: {
    verdict: { enum: ['revise', 'accept'] },
    problems: { type: 'array', items: { type: 'string' } },
    lesson: { type: 'string', description: 'one general rule that would have avoided these problems' },
  },
}

phase('Attempt')
let attempt = await agent(`Solve this task:\n${task}`)

// The lessons are the memory: each revision sees all of them, not only the last critique.
/** @type {string[]} */
const lessons = []
let accepted = false

phase('Reflect')
for (let round = 1; round <= maxRounds; round++) {
  const critique = await agent(
    `Task:\n${task}\n\nAttempt:\n${attempt}\n\n` +
      'Critique the attempt strictly: correctness, edge cases, clarity. ' +
      'Accept it only if nothing important is wrong.',
    { schema: CRITIQUE, label: `critique ${round}` },
  )
  if (critique.verdict === 'accept') {
    accepted = true
    break
  }
  lessons.push(critique.lesson)
  attempt = await agent(
    `Task:\n${task}\n\nPrevious attempt:\n${attempt}\n\n` +
      `Problems found:\n- ${critique.problems.join('\n- ')}\n\n` +
      `Lessons so far:\n- ${lessons.join('\n- ')}\n\nWrite an improved attempt.`,
    { label: `revise ${round}` },
  )
}

export default { task, attempt, accepted, lessons }
