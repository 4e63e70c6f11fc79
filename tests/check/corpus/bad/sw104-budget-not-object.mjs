export const meta = { name: 'review', description: 'Review the diff', budget: 5 }
export default 1
// expect: SW104 1:79
