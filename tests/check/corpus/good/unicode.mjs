export const meta = {
  name: 'résumé',
  description: 'Résumé → review, in 日本語 too',
  phases: [{ title: 'Überblick' }, { title: 'Prüfen' }],
}

phase('Überblick')
const overview = await agent('Überblick über die Änderungen')
phase('Prüfen')
export default { overview, review: await agent(`Prüfe: ${overview}`) }
