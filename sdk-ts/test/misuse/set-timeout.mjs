// @ts-check
// Misuse: setTimeout, which the sandbox removes
// expect: TS2304 Cannot find name 'setTimeout'
export const meta = { name: 'misuse', description: 'must not type-check' }

export default await new Promise((resolve) => setTimeout(resolve, 10))
