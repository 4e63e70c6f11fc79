export const meta = { name: 'child', description: 'Review one file' }

export default await agent(`Review ${args?.file}`)
