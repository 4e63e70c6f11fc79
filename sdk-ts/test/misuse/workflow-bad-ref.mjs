// @ts-check
// Misuse: workflow() with {path} instead of {scriptPath}
// expect: TS2353 'path' does not exist
export const meta = { name: 'misuse', description: 'must not type-check' }

export default await workflow({ path: './child.mjs' })
