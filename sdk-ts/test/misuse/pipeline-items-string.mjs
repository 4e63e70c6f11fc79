// @ts-check
// Misuse: pipeline() given a string instead of an array of items
// expect: TS2769 not assignable to parameter of type 'readonly
export const meta = { name: 'misuse', description: 'must not type-check' }

export default await pipeline('abc', (letter) => agent(letter))
