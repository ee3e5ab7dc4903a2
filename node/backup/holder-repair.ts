import { rendezvousRanking } from '../mesh/index.ts'
import type { Candidate } from '../mesh/index.ts'
import { PeriodicService, ServiceFailures } from '../services/index.ts'
import type { BackupLog } from './backup-log.ts'
import { serviceLogOf } from './backup-log.ts'
import { ciphertextDigest } from './chunk-crypto.ts'
import type { ChunkHolderClient, PutChunk } from './chunk-holder.ts'
import type { ChunkStore } from './chunk-store.ts'
import { HOLDER_REPAIR_PAGE, MAX_PUT_BYTES } from './constants.ts'
import { pushTo } from './push-to.ts'

export interface HolderRepairOptions {
  readonly store: ChunkStore
  /** This node's peer id. */
  readonly self: string
  /** The members up that hold the backup role now, this one included. */
  readonly holders: () => readonly Candidate[]
  /** Copies of every chunk (--backup-copies). */
  readonly copies: number
  readonly holder: (node: string) => ChunkHolderClient
  readonly log?: BackupLog
  /** Where a failed pass is counted (service `backup-holder-repair`); one per node.
   * @default a counter of its own */
  readonly failures?: ServiceFailures
}

/**
 * A backup holder's own care of the chunks it keeps, with no key: for each chunk it holds, the
 * holders that should keep it now (the first `copies` of its rendezvous ranking among the backup
 * holders up, as a backup places it) are asked whether they have it, and those that do not get this
 * holder's copy. A holder that left or died is so replaced by the next in each of its chunks'
 * rankings, and a copy lost on a disk comes back, without a node holding the key. A copy that is
 * damaged here is not spread (the store checks every read).
 */
export class HolderRepair {
  readonly #opts: HolderRepairOptions
  /** What runs did since this node started (metrics). */
  readonly stats = { runs: 0, copied: 0 }
  #service: PeriodicService | undefined

  constructor (opts: HolderRepairOptions) {
    this.#opts = opts
  }

  /** Runs every `everyMs` (first after one interval), as a supervised service
   * (`backup-holder-repair`: a pass that fails is counted, logged and tried again); idempotent. */
  start (everyMs: number): void {
    if (this.#service !== undefined) return
    const failures = this.#opts.failures ?? new ServiceFailures()
    this.#service = new PeriodicService({ name: 'backup-holder-repair', run: async () => await this.run(), intervalMs: everyMs, failures, log: serviceLogOf(this.#opts.log) })
    this.#service.start()
  }

  /** Stops the loop, waiting (bounded) for a pass in progress. */
  async stop (): Promise<void> {
    await this.#service?.stop()
  }

  /**
   * One pass over every chunk held here. Resolves with how many chunks it looked at, how many
   * copies it put on other holders, the holders that did not answer (their copies are looked at on
   * the next pass) and the chunks found damaged here.
   */
  async run (): Promise<{ chunks: number, copied: number, unreachable: string[], damaged: string[] }> {
    const { store, self } = this.#opts
    const holders = this.#opts.holders()
    const copies = Math.max(1, Math.min(this.#opts.copies, holders.length))
    const unreachable = new Set<string>()
    const damaged: string[] = []
    let chunks = 0
    let copied = 0
    if (holders.length < 2) return { chunks: store.size, copied, unreachable: [], damaged }
    let after: string | undefined
    for (;;) {
      const page = store.list(after, HOLDER_REPAIR_PAGE)
      chunks += page.length
      // which other holders should keep each chunk of the page
      const wanted = new Map<string, string[]>()
      for (const id of page) {
        for (const node of rendezvousRanking(`chunk/${id}`, holders, copies)) {
          if (node !== self) pushTo(wanted, node, id)
        }
      }
      for (const [node, ids] of wanted) {
        if (unreachable.has(node)) continue
        if (!await this.#copyTo(node, ids, damaged, (n) => { copied += n })) unreachable.add(node)
      }
      if (page.length < HOLDER_REPAIR_PAGE) break
      after = page.at(-1)
    }
    this.stats.runs++
    this.stats.copied += copied
    if (copied > 0 || damaged.length > 0) {
      this.#opts.log?.info({ copied, damaged: damaged.length, unreachable: [...unreachable] }, `backup chunks re-replicated: ${copied} copies put on the holders that should keep them${damaged.length > 0 ? `; ${damaged.length} damaged here, left to a verify` : ''}`)
    }
    return { chunks, copied, unreachable: [...unreachable], damaged }
  }

  /** Puts on `node` this holder's copies of the chunks of `ids` it lacks (a copy damaged here is
   * not spread: it goes to `damaged`); false when the node could not be asked or did not take them. */
  async #copyTo (node: string, ids: string[], damaged: string[], copied: (count: number) => void): Promise<boolean> {
    const { store } = this.#opts
    let missing: string[]
    try {
      const held = await this.#opts.holder(node).has(ids)
      missing = ids.filter((_, i) => held[i] !== true)
    } catch {
      return false
    }
    let batch: PutChunk[] = []
    let bytes = 0
    const send = async (): Promise<void> => {
      if (batch.length === 0) return
      await this.#opts.holder(node).put(batch)
      copied(batch.length)
      batch = []
      bytes = 0
    }
    try {
      for (const id of missing) {
        let sealed: Buffer | undefined
        try {
          sealed = await store.get(id)
        } catch (err) {
          if ((err as Error).name !== 'ChunkDamagedError') throw err
          damaged.push(id)
          continue
        }
        // removed here meanwhile (a pruned backup's)
        if (sealed === undefined) continue
        if (bytes + sealed.byteLength > MAX_PUT_BYTES) await send()
        batch.push({ id, digest: ciphertextDigest(sealed), sealed })
        bytes += sealed.byteLength
      }
      await send()
    } catch (err) {
      this.#opts.log?.warn({ err, holder: node }, `backup holder ${node} did not take copies: ${(err as Error).message}`)
      return false
    }
    return true
  }
}
