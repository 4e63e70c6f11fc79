// @ts-check
// Misuse: a schema that is a string, not a JSON Schema object
// expect: TS2769 schema
export const meta = { name: 'misuse', description: 'must not type-check' }

export default await agent('x', { schema: 'object' })
