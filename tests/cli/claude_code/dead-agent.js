export const meta = {
  name: 'scope-then-plan',
  description: 'Find the scope of a change, then plan it; stop early if the scout dies',
}

const scope = await agent('Find the files this change touches', { label: 'scout' })
if (!scope) return { stopped: 'the scout found nothing' }
const plan = await agent(`Plan the change to ${scope}`)
return { scope, plan }
