// @ts-check
// Reading args with defaults: a CLI value is a string, a repeated one an array, a bare flag true.
//
//   smol-wf run examples/args.mjs --args-topic caching --args-rounds 2 --args-verbose
//   smol-wf run examples/args.mjs --args-files src/app.ts --args-files src/db.ts
//   smol-wf run examples/args.mjs --args-from-file args.yaml --args-rounds 0   # --args-* win
//
// where args.yaml (or args.json) is one object, whose values keep their types:
//
//   topic: caching
//   rounds: 2
//   files: [src/app.ts, src/db.ts]
export const meta = {
  name: 'args',
  description: 'Summarise files on a topic, every setting an argument with a default',
}

/**
 * A string argument, or the default when it is missing or empty.
 * @param {string} name
 * @param {string} fallback
 */
function text(name, fallback) {
  const value = args[name]
  return value === undefined || value === '' ? fallback : String(value)
}

/**
 * A whole number: "2" on the command line, 2 in an args file. Anything else fails the run
 * before any agent starts, with a message naming the flag.
 * @param {string} name
 * @param {number} fallback
 */
function count(name, fallback) {
  const value = args[name] ?? fallback
  const number = Number(value)
  if (!Number.isInteger(number) || number < 0) {
    throw new Error(`--args-${name} must be a whole number, got ${JSON.stringify(value)}`)
  }
  return number
}

/**
 * A list: one --args-<name> gives a string, repeating it an array; an args file gives either.
 * @param {string} name
 * @param {string[]} fallback
 * @returns {string[]}
 */
function list(name, fallback) {
  const value = args[name]
  if (value === undefined) return fallback
  return (Array.isArray(value) ? value : [value]).map(String)
}

/**
 * A switch: a bare --args-<name> is true, and so is the string "true"; an args file may say false.
 * @param {string} name
 */
function flag(name) {
  return args[name] === true || args[name] === 'true'
}

const topic = text('topic', 'error handling')
const rounds = count('rounds', 1)
const files = list('files', ['README.md'])
const verbose = flag('verbose')

const notes = await parallel(
  files.map((file) => () => agent(`Summarise how ${file} deals with ${topic}`, { label: file })),
)
let summary = await agent(`Combine these notes on ${topic}: ${JSON.stringify(notes)}`)
for (let round = 1; round <= rounds; round++) {
  summary = await agent(`Tighten this summary (round ${round} of ${rounds}): ${summary}`)
}
if (verbose) log('notes', notes)

export default { args: { topic, rounds, files, verbose }, summary }
