// @ts-check
// Misuse: phase() with a number
// expect: TS2345 'number' is not assignable to parameter of type 'string'
export const meta = { name: 'misuse', description: 'must not type-check' }

phase(1)
export default null
