// @ts-check
// Misuse: parallel() given promises instead of functions
// expect: TS2322 Promise<string>
export const meta = { name: 'misuse', description: 'must not type-check' }

export default await parallel([agent('a'), agent('b')])
