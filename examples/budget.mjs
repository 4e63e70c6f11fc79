// @ts-check
// Keep refining while the output-token allowance lasts (run with --budget-allowance 200).
export const meta = {
  name: 'budget',
  description: 'Refine a draft until the output-token budget runs low',
}

let draft = await agent('Draft a one-line project tagline')
let rounds = 0
while (budget.total !== null && budget.remaining() > 40 && rounds < 5) {
  draft = await agent(`Improve this tagline: ${draft}`)
  rounds += 1
}
log(`refined ${rounds} times, ${budget.spent()} output tokens spent`)

export default { draft, rounds, budget: { total: budget.total, spent: budget.spent() } }
