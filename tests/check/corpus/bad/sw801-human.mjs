import { requestApproval } from 'workflow:human'
export const meta = { name: 'bad', description: 'a workflow with a mistake' }
requestApproval('Ship it?')
void SW.human.waitForSignal('go')
export default 1
// expect: SW801 3:1
// expect: SW801 4:6
