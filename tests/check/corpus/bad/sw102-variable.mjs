const name = 'review'
export const meta = { name, description: 'Review the diff' }
export default 1
// expect: SW102 2:23
