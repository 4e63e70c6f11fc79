// @ts-check
// Misuse: replacing SW.extra.sleep
// expect: TS2540 Cannot assign to 'sleep'
export const meta = { name: 'misuse', description: 'must not type-check' }

SW.extra.sleep = async () => {}
export default null
