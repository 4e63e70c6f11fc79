export const meta = {
  name: 'standup',
  description: 'Write a standup note; takes no arguments',
}

if (args !== undefined) return { error: 'this workflow takes no arguments', got: args }
const note = await agent('Write a three-line standup note')
return { note, argsType: typeof args }
