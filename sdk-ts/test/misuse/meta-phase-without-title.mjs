// @ts-check
// Misuse: a phase entry named with `name` instead of `title`
// expect: TS2353 'name' does not exist
/** @satisfies {WorkflowMetadata} */
export const meta = { name: 'misuse', description: 'x', phases: [{ name: 'Plan' }] }

export default null
