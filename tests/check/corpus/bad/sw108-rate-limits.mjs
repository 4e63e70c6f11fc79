export const meta = {
  name: 'triage',
  description: 'Classify issues',
  rateLimits: {
    antropic: { concurrency: 8 },
    openai: { concurrency: 0, perMinute: 60 },
    pi: 4,
  },
}
export default 1
// expect: SW108 5:5
// expect: SW108 6:28
// expect: SW108 6:31
// expect: SW108 7:9
