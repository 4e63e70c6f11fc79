export const meta = { name: 'bad', description: 'a workflow with a mistake' }
const fs = require('fs')
export default fs
// expect: SW603 2:12
