import type { onSendHookHandler } from 'fastify'

/**
 * Every write answered through the admin API (any method but GET and HEAD: a user added, a
 * restore, a repair, a move), told to its watchers before its answer is sent: a read that keeps
 * its gather for a moment (the partitions) drops it then, so that a write through this node
 * followed by a read there sees its change, whichever route made it.
 */
export class AdminWrites {
  readonly #listeners = new Set<() => void>()

  /** Calls `listener` at every write, until the returned function is called. */
  watch (listener: () => void): () => void {
    this.#listeners.add(listener)
    return () => { this.#listeners.delete(listener) }
  }

  /** Tells the watchers of a change that is no write's answer (a failed authentication recorded
   * in the audit trail: a read of the trail here must list it). */
  tell (): void {
    for (const l of this.#listeners) l()
  }

  /** The /api/v1 scope's onSend hook that tells the watchers (a callback, not an async function:
   * it runs for every read too, and a promise per request is a cost a read route shows). */
  hook (): onSendHookHandler<unknown> {
    return (request, _reply, payload, done) => {
      if (request.method !== 'GET' && request.method !== 'HEAD') this.tell()
      done(null, payload)
    }
  }
}
