// @ts-check
// Misuse: importing a Node module, which the sandbox does not have
// expect: TS2307 node:fs
export const meta = { name: 'misuse', description: 'must not type-check' }

import { readFileSync } from 'node:fs'
export default readFileSync('x')
