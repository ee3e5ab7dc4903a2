/** What a wrong argument was, for error messages: its type and size, never its content (it may be
 * key material or user data). */
export function valueShape (value: unknown): string {
  if (value === null) return 'null'
  if (value instanceof Uint8Array) return `a ${value.constructor.name} of ${value.byteLength} bytes`
  if (Array.isArray(value)) return `an array of ${value.length}`
  if (typeof value === 'string') return `a string of ${value.length} characters`
  if (typeof value === 'number') return `the number ${value}`
  if (typeof value === 'object') return `an object (${(value as { constructor?: { name?: string } }).constructor?.name ?? 'no prototype'})`
  return typeof value
}
