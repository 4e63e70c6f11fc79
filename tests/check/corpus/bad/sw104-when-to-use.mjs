export const meta = { name: 'review', description: 'Review the diff', whenToUse: ['on a PR'] }
export default 1
// expect: SW104 1:82
