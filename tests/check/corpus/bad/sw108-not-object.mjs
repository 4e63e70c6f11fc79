export const meta = { name: 'triage', description: 'Classify issues', rateLimits: 8 }
export default 1
// expect: SW108 1:83
