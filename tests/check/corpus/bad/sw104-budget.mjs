export const meta = {
  name: 'review',
  description: 'Review the diff',
  budget: { usd: '5', outputTokens: 1000 },
}
export const other = { budget: 'not meta' }
export default 1
// expect: SW104 4:18
