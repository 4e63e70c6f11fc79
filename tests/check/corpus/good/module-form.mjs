export const meta = { name: 'module', description: 'The module form, with a named default export' }

async function summarise(text) {
  return agent(`Summarise ${text}`)
}

const parts = await parallel([() => summarise('a'), () => summarise('b')])
const result = { parts }
// A return inside a function is not a top-level return.
const pick = (list) => {
  return list[0]
}
log('first part', pick(parts))
export { result as default }
