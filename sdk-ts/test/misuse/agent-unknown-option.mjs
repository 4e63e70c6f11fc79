// @ts-check
// Misuse: a misspelt agent() option
// expect: TS2769 'retries' does not exist
export const meta = { name: 'misuse', description: 'must not type-check' }

export default await agent('x', { retries: 3 })
