const base = { name: 'review' }
export const meta = { ...base, description: 'Review the diff' }
export default 1
// expect: SW102 2:23
