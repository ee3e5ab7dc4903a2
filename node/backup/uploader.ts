import { rendezvousRanking } from '../mesh/index.ts'
import type { Candidate } from '../mesh/index.ts'
import type { ChunkHolderClient, PutChunk } from './chunk-holder.ts'
import { MAX_PUT_BYTES, PUTS_IN_FLIGHT } from './constants.ts'
import { BackupHolderError } from './errors.ts'

export interface UploaderOptions {
  /** The members up that hold the backup role now. */
  readonly holders: () => readonly Candidate[]
  /** Copies of every chunk, on distinct holders (fewer while fewer hold the role). */
  readonly copies: number
}

/**
 * Sends chunks to their holders: each to `copies` members ranked by its id, in puts of at most
 * MAX_PUT_BYTES, at most PUTS_IN_FLIGHT at once. A holder that fails a put is passed over for the
 * rest of the backup: that put's chunks are queued again for the next members of their rankings
 * (so a backup node that dies mid-backup costs a retry, not the job). A put that fails only queues:
 * no put waits for another, so puts failing together cannot wait on each other.
 */
export class Uploader {
  readonly #opts: UploaderOptions
  readonly #signal: AbortSignal
  readonly #holder: (node: string) => ChunkHolderClient
  readonly #pending = new Map<string, { chunks: PutChunk[], bytes: number }>()
  readonly #inFlight = new Set<Promise<void>>()
  readonly #failed = new Set<string>()
  /** Copies of each chunk not yet acknowledged by a holder (absent: every copy is). */
  readonly #unacked = new Map<string, number>()
  #error: unknown

  readonly #onAck: () => void

  /** `onAck` is called after each put a holder acknowledged. */
  constructor (opts: UploaderOptions, signal: AbortSignal, holder: (node: string) => ChunkHolderClient, onAck: () => void) {
    this.#opts = opts
    this.#signal = signal
    this.#holder = holder
    this.#onAck = onAck
  }

  /** Sends every batch that waits (waiting only for a free slot, not for the puts). */
  async send (): Promise<void> {
    if (this.#error !== undefined) throw this.#error
    for (const node of [...this.#pending.keys()]) await this.#send(node)
  }

  /** Queues a chunk for its holders; sends the batches that are full, waiting while too many puts
   * are in flight. */
  async add (chunk: PutChunk): Promise<void> {
    if (this.#error !== undefined) throw this.#error
    this.#enqueue(chunk)
    for (const [node, batch] of [...this.#pending]) if (batch.bytes >= MAX_PUT_BYTES) await this.#send(node)
  }

  /** Whether every copy of a chunk added here was acknowledged (true for one never added). */
  acked (id: string): boolean {
    return !this.#unacked.has(id)
  }

  #settle (chunks: readonly PutChunk[]): void {
    for (const c of chunks) {
      const left = (this.#unacked.get(c.id) ?? 1) - 1
      if (left > 0) this.#unacked.set(c.id, left)
      else this.#unacked.delete(c.id)
    }
  }

  /** Sends what waits and waits for every put, and for what failed puts queued again. */
  async flush (): Promise<void> {
    while (this.#pending.size > 0 || this.#inFlight.size > 0) {
      for (const node of [...this.#pending.keys()]) await this.#send(node)
      if (this.#inFlight.size > 0) await Promise.race(this.#inFlight)
      if (this.#error !== undefined) throw this.#error
    }
    if (this.#error !== undefined) throw this.#error
  }

  /** Puts one blob on its holders now; resolves with the holders that took it. */
  async putNow (chunk: PutChunk): Promise<string[]> {
    const took: string[] = []
    const ranking = rendezvousRanking(`chunk/${chunk.id}`, this.#opts.holders(), this.#opts.holders().length)
    const copies = Math.max(1, Math.min(this.#opts.copies, ranking.length))
    for (const node of ranking) {
      if (took.length === copies) break
      try {
        await this.#holder(node).put([chunk])
        took.push(node)
      } catch {
        this.#failed.add(node)
      }
    }
    if (took.length === 0) throw new BackupHolderError(`no backup holder took ${chunk.id}`)
    return took
  }

  /** Adds a chunk to the batches of its holders now: the first `copies` of its ranking that have
   * not failed this backup. */
  #enqueue (chunk: PutChunk): void {
    const ranking = rendezvousRanking(`chunk/${chunk.id}`, this.#opts.holders(), this.#opts.holders().length).filter((n) => !this.#failed.has(n))
    if (ranking.length === 0) throw new BackupHolderError('every backup holder failed this backup')
    for (const node of ranking.slice(0, Math.max(1, Math.min(this.#opts.copies, this.#opts.holders().length)))) {
      const batch = this.#pending.get(node) ?? { chunks: [], bytes: 0 }
      batch.chunks.push(chunk)
      batch.bytes += chunk.sealed.byteLength
      this.#pending.set(node, batch)
      this.#unacked.set(chunk.id, (this.#unacked.get(chunk.id) ?? 0) + 1)
    }
  }

  /** Sends a holder's batch, in puts of at most MAX_PUT_BYTES. */
  async #send (node: string): Promise<void> {
    const batch = this.#pending.get(node)
    this.#pending.delete(node)
    if (batch === undefined) return
    const puts: PutChunk[][] = []
    let bytes = 0
    for (const chunk of batch.chunks) {
      const last = puts.at(-1)
      if (last === undefined || bytes + chunk.sealed.byteLength > MAX_PUT_BYTES) {
        puts.push([chunk])
        bytes = chunk.sealed.byteLength
      } else {
        last.push(chunk)
        bytes += chunk.sealed.byteLength
      }
    }
    for (const chunks of puts) {
      while (this.#inFlight.size >= PUTS_IN_FLIGHT) await Promise.race(this.#inFlight)
      this.#signal.throwIfAborted()
      const put = this.#holder(node).put(chunks).then(() => {
        this.#settle(chunks)
        this.#onAck()
      }, () => {
        // this holder is out for the rest of the backup: its chunks go to the next in each ranking
        this.#settle(chunks)
        this.#failed.add(node)
        try {
          for (const chunk of chunks) this.#enqueue(chunk)
        } catch (err) {
          this.#error ??= err
        }
      })
      this.#inFlight.add(put)
      // `put` never rejects (both outcomes are handled above): nothing is dropped here
      void put.finally(() => { this.#inFlight.delete(put) })
    }
  }
}
