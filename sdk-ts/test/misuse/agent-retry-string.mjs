// @ts-check
// Misuse: retry.maxAttempts given as a string
// expect: TS2769 Type 'string' is not assignable to type 'number'
export const meta = { name: 'misuse', description: 'must not type-check' }

export default await agent('x', { retry: { maxAttempts: '3' } })
