import { LATE_TIMER_SHARE } from './constants.ts'

/**
 * A deadline `ms` from now that says whether it was met on time: 'miss' when its timer fired on
 * time, 'late' when it fired more than LATE_TIMER_SHARE of `ms` late (this node's event loop was
 * busy, and an answer may be waiting unread). The verdict is given after the I/O that arrived
 * meanwhile was read (setImmediate runs after the poll phase), so an answer already in wins.
 */
export function lateAwareDeadline (ms: number): { promise: Promise<'miss' | 'late'>, clear: () => void } {
  const due = performance.now() + ms
  let timer: ReturnType<typeof setTimeout> | undefined
  let immediate: ReturnType<typeof setImmediate> | undefined
  const promise = new Promise<'miss' | 'late'>((resolve) => {
    timer = setTimeout(() => {
      const late = performance.now() - due > ms * LATE_TIMER_SHARE
      immediate = setImmediate(() => { resolve(late ? 'late' : 'miss') })
    }, ms)
    // a probe never keeps a stopping process alive
    timer.unref()
  })
  return {
    promise,
    clear: () => {
      clearTimeout(timer)
      if (immediate !== undefined) clearImmediate(immediate)
    }
  }
}
