export let meta = { name: 'review', description: 'Review the diff' }
export default await agent('Review the diff')
// expect: SW101 1:12
