export const meta = {
  name: 'review-files',
  description: 'Review each file of an array of paths',
}

const files = Array.isArray(args) ? args : []
if (files.length === 0) return { reviewed: 0, note: 'pass the files as a JSON array' }
const reviews = await parallel(files.map((file) => () => agent(`Review ${file}`, { label: file })))
log(`reviewed ${reviews.filter(Boolean).length} of ${files.length} files`)
return { reviewed: reviews.length, reviews }
