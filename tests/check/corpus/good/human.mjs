import human, { requestApproval as approve } from 'workflow:human'
import * as people from 'workflow:human'

export const meta = { name: 'human', description: 'Every way to ask a person' }

const plan = await agent('Draft a plan')
const decision = await approve(`Apply this plan?\n${plan}`, { label: 'plan', timeout: 60000, onTimeout: 'deny' })
const target = await human.waitForSignal('deploy', { schema: { type: 'object', properties: { url: { type: 'string' } } } })
const again = await people.requestApproval('Again?')
const done = await SW.human.waitForSignal('done', { timeout: 1000 }).catch(() => null)

export default { decision, target, again, done }
