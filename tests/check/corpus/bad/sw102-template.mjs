const what = 'diff'
export const meta = { name: 'review', description: `Review the ${what}` }
export default 1
// expect: SW102 2:52
