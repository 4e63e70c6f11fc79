// @ts-check
// parallel() for different tasks whose results you need together; pipeline() for the same
// stages over many items, each item moving on as soon as its own previous stage is done.
export const meta = {
  name: 'pipeline-vs-parallel',
  description: 'Release notes for several modules, with parallel() and with pipeline() side by side',
  phases: [{ title: 'Parallel' }, { title: 'Staged parallel' }, { title: 'Pipeline' }],
}

// One --args-modules is a string, several are an array: flat() accepts both.
const modules = [args.modules ?? ['auth', 'billing', 'search']].flat().map(String)

// parallel(): a fixed set of DIFFERENT tasks, and the next step needs all of them.
// It is a barrier: the line after the await runs when the slowest task is done.
phase('Parallel')
const [risks, tests, rollout] = await parallel([
  () => agent(`List the risks of releasing ${modules.join(', ')} together`, { label: 'risks' }),
  () => agent(`List the tests to run before releasing ${modules.join(', ')}`, { label: 'tests' }),
  () => agent(`Propose a rollout order for ${modules.join(', ')}`, { label: 'rollout' }),
])
const plan = await agent(`Write a release plan. Risks: ${risks}\nTests: ${tests}\nRollout: ${rollout}`)

// parallel() stage by stage over many items works, but every review waits for the
// slowest draft, and every stage after it waits again: the slowest item sets the pace.
phase('Staged parallel')
const drafts = await parallel(
  modules.map((name) => () => agent(`Draft release notes for ${name}`, { label: `draft ${name}` })),
)
const staged = await parallel(
  drafts.map((draft, i) => () =>
    agent(`Review the ${modules[i]} release notes: ${draft}`, { label: `review ${modules[i]}` }),
  ),
)

// pipeline(): the SAME stages for every item, with no barrier between them: each module is
// reviewed as soon as its own draft is ready. stage(previous, item, index); a failure makes
// only that item null (use pipelineSettled from 'workflow:extra' to keep the error).
phase('Pipeline')
const flowed = await pipeline(
  modules,
  (name) => agent(`Draft release notes for ${name}`, { label: `draft ${name}` }),
  (draft, name) => agent(`Review the ${name} release notes: ${draft}`, { label: `review ${name}` }),
)

export default { plan, staged, flowed }
