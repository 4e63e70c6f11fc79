export const meta = { name: 42, description: 'Review the diff' }
export default 1
// expect: SW103 1:29
