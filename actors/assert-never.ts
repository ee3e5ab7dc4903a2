/** Exhaustiveness check for `switch (msg.type)`: a type error when a case is missing, and a clear
 * runtime error when a value that the types rule out arrives anyway. */
export function assertNever (value: never, what = 'message'): never {
  const type = (value as { type?: unknown } | null)?.type
  throw new TypeError(`unexpected ${what}${type === undefined ? '' : ` of type ${JSON.stringify(type)}`}`)
}
