// @ts-check
// Misuse: reading value of a settled slot without checking ok
// expect: TS2339 'value' does not exist
export const meta = { name: 'misuse', description: 'must not type-check' }

import { parallelSettled } from 'workflow:extra'
const [slot] = await parallelSettled([() => agent('a')])
export default slot.value
