/**
 * Polls `check` until it returns true, at most `timeout` ms (then throws, naming `what`: a
 * function gives what the last check saw). For
 * conditions that have no event to await; every wait in the suite is bounded.
 */
export async function waitFor (check: () => boolean | Promise<boolean>, what: string | (() => string),
  { timeout = 5_000, interval = 5 }: { timeout?: number, interval?: number } = {}): Promise<void> {
  const deadline = performance.now() + timeout
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error(`timed out after ${timeout} ms waiting for ${typeof what === 'string' ? what : what()}`)
    await new Promise((resolve) => setTimeout(resolve, interval))
  }
}

/** A promise and the functions that settle it. */
export function deferred<T = void> (): { promise: Promise<T>, resolve: (value: T) => void, reject: (err: unknown) => void } {
  let resolve!: (value: T) => void
  let reject!: (err: unknown) => void
  const promise = new Promise<T>((res, rej) => { resolve = res; reject = rej })
  return { promise, resolve, reject }
}
