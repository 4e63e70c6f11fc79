// @ts-check
// Misuse: sleep() with a string
// expect: TS2345 'string' is not assignable to parameter of type 'number'
export const meta = { name: 'misuse', description: 'must not type-check' }

import { sleep } from 'workflow:extra'
await sleep('100')
export default null
