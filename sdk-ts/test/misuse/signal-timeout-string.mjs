// @ts-check
// Misuse: a signal timeout given as text
// expect: TS2322 'string' is not assignable to type 'number'
export const meta = { name: 'misuse', description: 'must not type-check' }

import { waitForSignal } from 'workflow:human'
export default await waitForSignal('deploy', { timeout: '5m' })
