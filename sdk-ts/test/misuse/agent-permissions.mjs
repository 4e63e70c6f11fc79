// @ts-check
// Misuse: a permission level that does not exist
// expect: TS2769 "write"
export const meta = { name: 'misuse', description: 'must not type-check' }

export default await agent('x', { permissions: 'write' })
