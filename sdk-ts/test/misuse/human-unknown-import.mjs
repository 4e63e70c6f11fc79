// @ts-check
// Misuse: importing something workflow:human does not export
// expect: TS2614 has no exported member 'askHuman'
export const meta = { name: 'misuse', description: 'must not type-check' }

import { askHuman } from 'workflow:human'
export default await askHuman('Ship it?')
