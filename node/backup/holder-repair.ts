import { rendezvousRanking } from '../mesh/index.ts'
import type { Candidate } from '../mesh/index.ts'
import { ciphertextDigest } from './chunk-crypto.ts'
import type { ChunkHolderClient, PutChunk } from './chunk-holder.ts'
import type { ChunkStore } from './chunk-store.ts'
import { MAX_PUT_BYTES } from './constants.ts'
import { pushTo } from './push-to.ts'

/** Chunk ids looked at per page of the store (and asked of each other holder in one `has`). */
const PAGE = 2_000

export interface HolderRepairOptions {
  readonly store: ChunkStore
  /** This node's peer id. */
  readonly self: string
  /** The members up that hold the backup role now, this one included. */
  readonly holders: () => readonly Candidate[]
  /** Copies of every chunk (--backup-copies). */
  readonly copies: number
  readonly holder: (node: string) => ChunkHolderClient
  readonly log?: { info (obj: object, msg: string): void, warn (obj: object, msg: string): void }
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
  #timer: ReturnType<typeof setTimeout> | undefined
  #running: Promise<unknown> | undefined

  constructor (opts: HolderRepairOptions) {
    this.#opts = opts
  }

  /** Runs every `everyMs` (first after one interval). */
  start (everyMs: number): void {
    if (this.#timer !== undefined) return
    const tick = (): void => {
      this.#running = this.run().catch((err: unknown) => {
        this.#opts.log?.warn({ err }, `backup chunks not re-replicated: ${(err as Error).message}`)
      }).finally(() => {
        this.#running = undefined
        if (this.#timer !== undefined) this.#timer = setTimeout(tick, everyMs).unref()
      })
    }
    this.#timer = setTimeout(tick, everyMs).unref()
  }

  async stop (): Promise<void> {
    clearTimeout(this.#timer)
    this.#timer = undefined
    await this.#running
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
      const page = store.list(after, PAGE)
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
        let missing: string[]
        try {
          const held = await this.#opts.holder(node).has(ids)
          missing = ids.filter((_, i) => held[i] !== true)
        } catch {
          unreachable.add(node)
          continue
        }
        let batch: PutChunk[] = []
        let bytes = 0
        const send = async (): Promise<void> => {
          if (batch.length === 0) return
          await this.#opts.holder(node).put(batch)
          copied += batch.length
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
          unreachable.add(node)
          this.#opts.log?.warn({ err, holder: node }, `backup holder ${node} did not take copies: ${(err as Error).message}`)
        }
      }
      if (page.length < PAGE) break
      after = page.at(-1)
    }
    this.stats.runs++
    this.stats.copied += copied
    if (copied > 0 || damaged.length > 0) {
      this.#opts.log?.info({ copied, damaged: damaged.length, unreachable: [...unreachable] }, `backup chunks re-replicated: ${copied} copies put on the holders that should keep them${damaged.length > 0 ? `; ${damaged.length} damaged here, left to a verify` : ''}`)
    }
    return { chunks, copied, unreachable: [...unreachable], damaged }
  }
}
