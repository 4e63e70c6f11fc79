// @ts-check
// Misuse: assigning budget.total
// expect: TS2540 Cannot assign to 'total' because it is a read-only property
export const meta = { name: 'misuse', description: 'must not type-check' }

budget.total = 1000
export default budget.total
