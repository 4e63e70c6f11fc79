export const meta = { name: 'parent', description: 'Run a child workflow per file' }

const files = args.files ?? ['a.ts', 'b.ts']
const reviews = await parallel(
  files.map((file) => () => workflow({ scriptPath: './children/child.mjs' }, { file })),
)
export default { reviews }
