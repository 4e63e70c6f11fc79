// @ts-check
// Misuse: importing open, which workflow:sandbox does not export
// expect: TS2614 has no exported member 'open'
export const meta = { name: 'misuse', description: 'must not type-check' }

import { open } from 'workflow:sandbox'
export default open
