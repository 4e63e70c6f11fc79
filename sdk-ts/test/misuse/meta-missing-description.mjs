// @ts-check
// Misuse: metadata without a description, checked with @satisfies
// expect: TS1360 description
/** @satisfies {WorkflowMetadata} */
export const meta = { name: 'misuse', phases: [{ title: 'Plan' }] }

export default null
