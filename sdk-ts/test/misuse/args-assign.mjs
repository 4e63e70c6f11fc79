// @ts-check
// Misuse: writing to the read-only args
// expect: TS2542 only permits reading
export const meta = { name: 'misuse', description: 'must not type-check' }

args.target = 'x'
export default args
