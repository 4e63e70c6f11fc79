export const meta = { name: 'review' }
export default 1
// expect: SW103 1:14
