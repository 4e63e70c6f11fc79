export const meta = { name: 'fan', description: 'a fan-out', executor: 'slurm' }
export default 1
// expect: SW104 1:72
