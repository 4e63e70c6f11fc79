// @ts-check
// Misuse: an effort level that does not exist
// expect: TS2769 "extreme"
export const meta = { name: 'misuse', description: 'must not type-check' }

export default await agent('x', { effort: 'extreme' })
