/** What the simulations' own command lines share (membership-run.ts, roster-run.ts). */

/** Says what is wrong with the command line and how to use it, and exits 2. */
export function failWith (usage: string): (message: string) => never {
  return (message) => {
    console.error(`${message}\n${usage}`)
    process.exit(2)
  }
}

/** A flag's value as a whole number in [min, max], or the command line refused. */
export function wholeNumber (fail: (message: string) => never): (name: string, v: string, min: number, max?: number) => number {
  return (name, v, min, max = Number.MAX_SAFE_INTEGER) => {
    const n = Number(v)
    if (!Number.isSafeInteger(n) || n < min || n > max) fail(`--${name}: expected a whole number from ${min} to ${max}, got ${JSON.stringify(v)}`)
    return n
  }
}
