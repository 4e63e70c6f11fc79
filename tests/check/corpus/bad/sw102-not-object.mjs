export const meta = 'review'
export default 1
// expect: SW102 1:21
