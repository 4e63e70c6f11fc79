// @ts-check
// Misuse: a pipeline stage that needs a fourth argument
// expect: TS2769 Target signature provides too few arguments
export const meta = { name: 'misuse', description: 'must not type-check' }

// (JavaScript treats unannotated parameters as optional, so the arity is only checked
// for JSDoc-typed stages.)
export default await pipeline(
  ['a'],
  /**
   * @param {string} previous
   * @param {string} item
   * @param {number} index
   * @param {string} extra
   */
  (previous, item, index, extra) => agent(`${previous} ${item} ${index} ${extra}`),
)
