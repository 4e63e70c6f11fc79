import { requestApproval, ask } from 'workflow:human'
export const meta = { name: 'bad', description: 'a workflow with a mistake' }
export default await requestApproval('Ship it?')
// expect: SW601 1:27
