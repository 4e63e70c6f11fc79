// @ts-check
// Misuse: reading a field the typed schema does not have
// expect: TS2551 sumary
export const meta = { name: 'misuse', description: 'must not type-check' }

/** @type {SmolWf.Schema<{ summary: string }>} */
const REPORT = { type: 'object', required: ['summary'], properties: { summary: { type: 'string' } } }
const report = await agent('x', { schema: REPORT })
export default report.sumary
