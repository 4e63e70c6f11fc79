import { readFileSync } from 'node:fs'
export const meta = { name: 'bad', description: 'a workflow with a mistake' }
export default readFileSync('a.txt')
// expect: SW601 1:30
