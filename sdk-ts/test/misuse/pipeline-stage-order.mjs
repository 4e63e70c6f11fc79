// @ts-check
// Misuse: a stage that takes (previous, index), forgetting that the item comes second
// expect: TS2769 Type 'string' is not assignable to type 'number'
export const meta = { name: 'misuse', description: 'must not type-check' }

export default await pipeline(
  ['a', 'b'],
  /**
   * @param {string} previous
   * @param {number} index
   */
  (previous, index) => agent(`${previous} #${index}`),
)
