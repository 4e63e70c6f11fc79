// @ts-check
// Misuse: agent() with an object instead of a prompt string
// expect: TS2345 not assignable to parameter of type 'string'
export const meta = { name: 'misuse', description: 'must not type-check' }

export default await agent({ prompt: 'x' })
