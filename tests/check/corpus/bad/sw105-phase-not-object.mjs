export const meta = { name: 'review', description: 'Review the diff', phases: ['Scan'] }
export default 1
// expect: SW105 1:80
