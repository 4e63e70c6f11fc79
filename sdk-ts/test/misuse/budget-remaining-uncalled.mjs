// @ts-check
// Misuse: comparing budget.remaining (a function) with a number
// expect: TS2365 Operator '>' cannot be applied
export const meta = { name: 'misuse', description: 'must not type-check' }

export default budget.remaining > 100
