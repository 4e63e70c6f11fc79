// @ts-check
// A model API for the cheap steps, a coding agent for the work: each issue is classified by
// a direct call to Anthropic's API (no Node process, no agent system prompt, no tools), and
// only the bugs go to Claude Code, which may edit files.
//
//   smol-wf run examples/triage.mjs                                     # ANTHROPIC_API_KEY, claude
//   smol-wf run examples/triage.mjs --args-classifier debug --args-fixer debug   # offline
export const meta = {
  name: 'triage',
  description: 'Classify issue reports with a model API, then have a coding agent fix the bugs',
  whenToUse: 'A backlog of reports where only some need a code change',
  phases: [
    { title: 'Classify', detail: 'one model API call per issue: cheap, read-only' },
    { title: 'Fix', detail: 'a coding agent per bug', permissions: 'edit' },
  ],
  rateLimits: { anthropic: { concurrency: 8, requestsPerMinute: 500 } },
}

const classifier = args.classifier ?? 'anthropic'
const fixer = args.fixer ?? 'claude-code'
/** @type {string[]} */
const issues = args.issues ?? [
  'Crash when the config file is empty',
  'Add a dark mode to the settings page',
  'The install section of the README names the wrong command',
]

const LABEL = {
  type: 'object',
  required: ['kind', 'summary'],
  properties: {
    kind: { enum: ['bug', 'feature', 'docs'] },
    summary: { type: 'string' },
  },
}

phase('Classify')
const labels = await parallel(
  issues.map((issue, index) => () =>
    agent(`Is this issue a bug, a feature request or a docs fix? Summarise it.\n\n${issue}`, {
      provider: classifier,
      model: args.model ?? 'claude-haiku-4-5',
      schema: LABEL,
      label: `classify #${index + 1}`,
    }),
  ),
)

phase('Fix')
const bugs = issues.filter((_, index) => labels[index]?.kind === 'bug')
const fixes = await pipeline(bugs, (issue) =>
  agent(`Fix this bug in the repository, then say in one line what you changed.\n\n${issue}`, {
    provider: fixer,
    label: `fix: ${issue.slice(0, 40)}`,
  }),
)

export default { labels, fixed: bugs.map((issue, index) => ({ issue, change: fixes[index] })) }
