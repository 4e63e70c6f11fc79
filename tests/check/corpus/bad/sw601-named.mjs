import { sleep, wait } from 'workflow:extra'
import { exec as run, spawn } from 'workflow:sandbox'
export const meta = { name: 'bad', description: 'a workflow with a mistake' }
export default 1
// expect: SW601 1:17
// expect: SW601 2:23
