// A workflow without meta.
export default await agent('Review the diff')
// expect: SW101 1:1
