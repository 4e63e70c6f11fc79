export const meta = { name: 'bad', description: 'a workflow with a mistake' }
import { agentRun } from 'workflow:extra'
void agentRun('Summarise the review')
workflow({ scriptPath: './sw801-dropped.mjs' })
export default 1
// expect: SW801 3:6
// expect: SW801 4:1
