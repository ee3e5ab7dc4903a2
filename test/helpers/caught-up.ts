import { waitFor } from './wait-for.ts'

/** A storage node as GET /api/v1/storage lists it (the fields read here). */
export interface CatchUpRow {
  readonly peerId: string
  readonly status: string
  readonly state: string
  readonly catchUp: { readonly partitions: number, readonly caughtUp: number } | null
}

/**
 * Waits until every active storage node that `rows()` (a node's GET /storage) lists up holds all
 * its partitions whole (`timeout`: without one more partition caught up). A new storage node is a learner on its partitions until it pulled them from
 * every other storage node; a fault that takes one of those down first holds it back (and the
 * entities it is a replica of) until that node is back or replaced, so a test that kills nodes
 * waits for this after it starts them.
 *
 * `storage`: the storage nodes started (peer ids); each must be listed active first, and a replica
 * of some partition in its own view. A storage node is a replica once a roster version names it
 * (the keeper's node proposes its join a second or two after it is heard), and a node that applies
 * that version later than the one polled holds no partition until then: it counts as caught up on
 * none (it would turn learner right after the wait).
 */
export async function awaitCaughtUp (rows: () => Promise<readonly CatchUpRow[]>, timeout = 60_000, storage: readonly string[] = []): Promise<void> {
  let last = ''
  /** Partitions caught up in all, as the last poll saw them: the wait is bounded on a stall of it
   * (a catch-up on a starved machine goes on, slower). */
  let caughtUp = 0
  await waitFor(async () => {
    let all: readonly CatchUpRow[]
    try {
      all = await rows()
    } catch (err) {
      // (one poll that fails, a connection reset under load, is asked again at the next; one that
      // keeps failing times out saying why)
      last = `the last poll failed: ${String((err as { cause?: unknown }).cause ?? err)}`
      return false
    }
    const active = all.filter((r) => r.status === 'up' && r.state === 'active')
    const unnamed = storage.filter((p) => !active.some((r) => r.peerId === p))
    if (unnamed.length > 0) {
      last = `not yet active storage nodes: ${unnamed.join(', ')}`
      return false
    }
    last = active.map((r) => `${r.peerId} ${r.catchUp === null ? 'unknown' : `${r.catchUp.caughtUp}/${r.catchUp.partitions}`}`).join(', ')
    caughtUp = active.reduce((sum, r) => sum + (r.catchUp?.caughtUp ?? 0), 0)
    // (a storage node started that is a replica of nothing has not applied the version naming it
    // yet, as its own catch-up reports: 0 of 0 is not caught up, it becomes a learner later)
    return active.length > 0 && active.every((r) => r.catchUp !== null && r.catchUp.caughtUp === r.catchUp.partitions && (r.catchUp.partitions > 0 || !storage.includes(r.peerId)))
  }, () => `every storage node to catch up on its partitions (${last})`, { timeout, interval: 100, progress: () => caughtUp })
}
