// @ts-check
// Misuse: treating agent() text (no schema) as an object
// expect: TS2339 findings
export const meta = { name: 'misuse', description: 'must not type-check' }

const report = await agent('x')
export default report.findings
