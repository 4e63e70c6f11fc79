// @ts-check
// Misuse: importing exec from workflow:extra instead of workflow:sandbox
// expect: TS2614 has no exported member 'exec'
export const meta = { name: 'misuse', description: 'must not type-check' }

import { exec } from 'workflow:extra'
export default exec
