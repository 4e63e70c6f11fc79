// @ts-check
// Misuse: an onTimeout that is neither 'approve' nor 'deny'
// expect: TS2322 '"wait"' is not assignable to type '"approve" | "deny" | undefined'
export const meta = { name: 'misuse', description: 'must not type-check' }

import { requestApproval } from 'workflow:human'
export default await requestApproval('Ship it?', { onTimeout: 'wait' })
