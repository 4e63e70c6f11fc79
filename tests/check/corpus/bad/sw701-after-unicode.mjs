export const meta = { name: 'bad', description: 'columns count characters: é → 日本' }
const note = 'Prüfung → 日本'; const t = Date.now()
export default { note, t }
// expect: SW701 2:40
