// @ts-check
// Misuse: phase given as a number
// expect: TS2769 not assignable to type 'string'
export const meta = { name: 'misuse', description: 'must not type-check' }

export default await agent('x', { phase: 2 })
