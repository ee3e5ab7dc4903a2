/**
 * Whether a failure is one a client retries: the node said so (kind unavailable: a view still
 * settling, an owner moving; gRPC UNAVAILABLE, or DEADLINE_EXCEEDED, which a node answers with "no
 * answer in time ... retry"; HTTP 503, as ProcessCluster.api's `status`), or the connection to a
 * node process failed (one so starved of CPU that it took nothing in time).
 */
export function isUnavailable (err: unknown): boolean {
  const e = err as { kind?: unknown, code?: unknown, status?: unknown, message?: unknown, cause?: { code?: unknown } } | null
  if (e === null || typeof e !== 'object') return false
  return e.kind === 'unavailable' || e.code === 14 || e.code === 4 || e.status === 503 ||
    (e instanceof TypeError && e.message === 'fetch failed') || e.cause?.code === 'ECONNRESET'
}

/**
 * Retries what a client would retry (isUnavailable), 100 ms apart, until `forMs` have passed since
 * the first try: a bound on the whole wait (a busy machine answers late, not never), not a count
 * of tries, which failures that come fast (a view settling) spend in a few seconds. Anything else,
 * or the last failure past the bound, is thrown. `what` must be safe to repeat (a read, or a write
 * with a client id).
 */
export async function retryUnavailable<T> (what: () => Promise<T>, forMs = 60_000): Promise<T> {
  const until = performance.now() + forMs
  for (;;) {
    try {
      return await what()
    } catch (err) {
      if (!isUnavailable(err) || performance.now() >= until) throw err
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
  }
}
