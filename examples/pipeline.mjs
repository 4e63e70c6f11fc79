// @ts-check
// pipeline() moves each item through its stages with no barrier; parallel() waits for all.
export const meta = {
  name: 'pipeline',
  description: 'Draft then review each topic, items flowing independently',
  phases: [{ title: 'Draft' }, { title: 'Review' }],
}

const topics = args.topics ?? ['caching', 'retries', 'logging']

const reviewed = await pipeline(
  topics,
  (topic) => agent(`Draft a note about ${topic}`, { phase: 'Draft', label: `draft ${topic}` }),
  (draft, topic) => agent(`Review the note on ${topic}: ${draft}`, { phase: 'Review' }),
)

const headlines = await parallel(topics.map((topic) => () => agent(`Headline for ${topic}`)))

export default { reviewed, headlines }
