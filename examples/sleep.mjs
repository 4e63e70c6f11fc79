// @ts-check
// A durable pause: a resumed run waits only for what is left of a sleep.
import { sleep } from 'workflow:extra'

export const meta = {
  name: 'sleep',
  description: 'Start a job, wait a little, then check on it',
}

const job = await agent('Start the nightly build and say how to check on it')
await sleep(args.waitMs ? Number(args.waitMs) : 100)
const status = await agent(`Check on the build: ${job}`)
export default { job, status }
