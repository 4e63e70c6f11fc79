export const meta = { name: 'review', description: 'Review the diff', when_to_use: 'on a PR' }
export default 1
// expect: SW107 1:71
