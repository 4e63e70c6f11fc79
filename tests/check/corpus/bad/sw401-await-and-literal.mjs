export const meta = { name: 'bad', description: 'a workflow with a mistake' }
import { parallelSettled } from 'workflow:extra'
const results = await parallelSettled([await agent('a'), 'b', new Promise((ok) => ok(1))])
export default results
// expect: SW401 3:40
// expect: SW401 3:58
// expect: SW401 3:63
