export const meta = {
  name: 'review',
  description: ['Review', 'the diff'].join(' '),
}
export default 1
// expect: SW102 3:16
