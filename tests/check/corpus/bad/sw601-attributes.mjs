import extra from 'workflow:extra' with { type: 'json' }
export const meta = { name: 'bad', description: 'a workflow with a mistake' }
export default 1
// expect: SW601 1:36
