// @ts-check
// Misuse: a stage expecting a number after a stage that yields text
// expect: TS2769 Type 'string' is not assignable to type 'number'
export const meta = { name: 'misuse', description: 'must not type-check' }

export default await pipeline(
  ['a'],
  (topic) => agent(`Draft ${topic}`),
  /** @param {number} count */ (count) => count + 1,
)
