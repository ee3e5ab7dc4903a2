import { LEASE_BATCH_FALLBACK_MS, MAX_LEASE_BATCH } from '../constants.ts'
import type { BatchItem, BatchItemOutcome, LeaseRequest } from '../replica/replica-batch.ts'
import type { ReplyOf } from '../replica/replica-protocol.ts'

export interface LeaseBatchesOptions {
  /** Sends one batch to `node`'s replica-batch actor; resolves with each item's answer, checked. */
  send (node: string, items: readonly BatchItem[]): Promise<readonly BatchItemOutcome[]>
  /** Sends one request on its own (to the shard holder of its partition): to a node without a
   * replica-batch actor. */
  single (node: string, partition: number, request: LeaseRequest): Promise<unknown>
  /** Runs `fn` once what runs now is done (setImmediate; the simulation's next event). */
  defer (fn: () => void): void
  /** A monotonic clock in ms. */
  clock (): number
}

interface Waiting {
  readonly item: BatchItem
  readonly resolve: (reply: unknown) => void
  readonly reject: (err: Error) => void
}

/**
 * The lease requests this node's owners send to other nodes, gathered per node for one turn and
 * sent as one `replica-batch` message per node (docs/replication.md, "Leases"): a thousand entities
 * renewing their leases on two other nodes cost two messages and two answers, not four thousand.
 * Each request is answered (or fails) exactly as it would have on its own; a batch that fails fails
 * each of its requests with its error, as a lost message fails the request it carried. A request
 * waits for nothing but the end of the turn it was made in, and its owner counts its lease from
 * before it was queued, so the wait shortens the lease it renews and never lengthens it.
 */
export class LeaseBatches {
  readonly #opts: LeaseBatchesOptions
  readonly #queued = new Map<string, Waiting[]>()
  /** Nodes that have no replica-batch actor (an older version), until when (clock). */
  readonly #unbatched = new Map<string, number>()

  constructor (opts: LeaseBatchesOptions) {
    this.#opts = opts
  }

  call<R extends LeaseRequest> (node: string, partition: number, request: R): Promise<ReplyOf<R>> {
    const until = this.#unbatched.get(node)
    if (until !== undefined) {
      if (this.#opts.clock() < until) return this.#opts.single(node, partition, request) as Promise<ReplyOf<R>>
      this.#unbatched.delete(node)
    }
    return new Promise<ReplyOf<R>>((resolve, reject) => {
      let queue = this.#queued.get(node)
      if (queue === undefined) {
        queue = []
        this.#queued.set(node, queue)
        this.#opts.defer(() => { this.#flush(node) })
      }
      queue.push({ item: { partition, request }, resolve: resolve as (reply: unknown) => void, reject })
    })
  }

  #flush (node: string): void {
    const queue = this.#queued.get(node)
    this.#queued.delete(node)
    if (queue === undefined) return
    for (let i = 0; i < queue.length; i += MAX_LEASE_BATCH) this.#send(node, queue.slice(i, i + MAX_LEASE_BATCH))
  }

  #send (node: string, batch: readonly Waiting[]): void {
    this.#opts.send(node, batch.map((w) => w.item)).then((outcomes) => {
      batch.forEach((w, i) => {
        const outcome = outcomes[i] as BatchItemOutcome
        if ('reply' in outcome) w.resolve(outcome.reply)
        else w.reject(outcome.error)
      })
    }, (err: unknown) => {
      const error = err instanceof Error ? err : new Error(String(err))
      if (error.name !== 'ActorStoppedError') {
        for (const w of batch) w.reject(error)
        return
      }
      // the node has no replica-batch actor (an older version): each request on its own, as before
      this.#unbatched.set(node, this.#opts.clock() + LEASE_BATCH_FALLBACK_MS)
      for (const w of batch) this.#opts.single(node, w.item.partition, w.item.request).then(w.resolve, w.reject)
    })
  }
}
