// @ts-check
// Misuse: reading requestApproval()'s answer under a field it does not have
// expect: TS2551 approve
export const meta = { name: 'misuse', description: 'must not type-check' }

import { requestApproval } from 'workflow:human'
const decision = await requestApproval('Ship it?')
export default decision.approve
