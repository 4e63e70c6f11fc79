// @ts-check
// Misuse: using a parallel() slot without handling its null
// expect: TS18047 'first' is possibly 'null'
export const meta = { name: 'misuse', description: 'must not type-check' }

const [first] = await parallel([() => agent('a')])
export default first.length
