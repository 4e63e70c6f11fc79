export const meta = { name: 'bad', description: 'a workflow with a mistake' }
agent('Summarise the review')
;(agent('One'), agent('Two'))
export default 1
// expect: SW801 2:1
// expect: SW801 3:3
// expect: SW801 3:17
