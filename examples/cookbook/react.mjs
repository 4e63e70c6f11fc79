// @ts-check
// ReAct: think, choose one schema-typed action, observe its result, repeat for at most maxSteps.
export const meta = {
  name: 'react',
  description: 'Answer a question with a bounded reason-act loop over a few tools',
  phases: [{ title: 'Act' }, { title: 'Answer' }],
}

const question = String(args.question ?? 'Which service had the most incidents last quarter, and why?')
const maxSteps = Number(args.maxSteps ?? 4)

// The model must pick a tool from a closed list, so the script can dispatch on it safely.
const STEP = {
  type: 'object',
  required: ['thought', 'action', 'input'],
  properties: {
    thought: { type: 'string', description: 'what you know so far and what is still missing' },
    action: { enum: ['search', 'read', 'finish'] },
    input: { type: 'string', description: 'the search query, the document to read, or the final answer' },
  },
}

/** @typedef {{ thought: string, action: 'search' | 'read' | 'finish', input: string }} Step */

// The tools are agents here; in a real workflow they could be exec() calls or child workflows.
/** @type {Record<'search' | 'read', (input: string) => Promise<string>>} */
const TOOLS = {
  search: (query) => agent(`Search the incident tracker for "${query}" and list the matching titles`),
  read: (document) => agent(`Read the incident report "${document}" and summarise its cause`),
}

/** @type {Array<Step & { observation: string }>} */
const trace = []
/** @type {string | null} */
let answer = null

phase('Act')
for (let step = 1; step <= maxSteps && answer === null; step++) {
  const history = trace.map((t, i) => `${i + 1}. ${t.action}(${t.input}) -> ${t.observation}`).join('\n')
  /** @type {Step} */
  const next = await agent(
    `Answer this question: ${question}\n` +
      'Tools: search(query), read(document), finish(answer).\n' +
      `Steps so far:\n${history || '(none)'}\n` +
      'Think about what is missing, then choose exactly one action.',
    { schema: STEP, label: `step ${step}` },
  )
  if (next.action === 'finish') {
    answer = next.input
  } else {
    trace.push({ ...next, observation: await TOOLS[next.action](next.input) })
  }
}

// Out of steps without a finish: answer from what was observed rather than loop on.
phase('Answer')
const finished = answer !== null
answer ??= await agent(
  `Answer "${question}" as well as you can from these observations, and say what is uncertain:\n` +
    trace.map((t) => `- ${t.observation}`).join('\n'),
)

export default { question, answer, finished, steps: trace.length }
