/**
 * Polls `check` until it returns true, at most `timeout` ms (then throws, naming `what`: a
 * function gives what the last check saw). For
 * conditions that have no event to await; every wait in the suite is bounded.
 *
 * With `progress` (a count that grows as the awaited work advances: partitions caught up), the
 * bound is on a stall instead: `timeout` ms without a new highest count. Work that goes on, only
 * slower on a starved machine, is waited for; work that stopped still fails within `timeout`.
 */
export async function waitFor (check: () => boolean | Promise<boolean>, what: string | (() => string),
  { timeout = 5_000, interval = 5, progress }: { timeout?: number, interval?: number, progress?: () => number } = {}): Promise<void> {
  let deadline = performance.now() + timeout
  let best = progress?.() ?? 0
  while (!(await check())) {
    const now = progress?.()
    if (now !== undefined && now > best) {
      best = now
      deadline = performance.now() + timeout
    } else if (performance.now() > deadline) {
      throw new Error(`timed out after ${timeout} ms${progress === undefined ? '' : ' without progress'} waiting for ${typeof what === 'string' ? what : what()}`)
    }
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
