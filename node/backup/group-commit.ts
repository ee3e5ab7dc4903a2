import { MAX_STORE_BATCH_BYTES, PACK_RECORD_HEADER_BYTES, PACK_RECORD_PUT, PACK_RECORD_REMOVE } from './constants.ts'
import type { PackCompaction } from './pack-compaction.ts'
import type { PackIndex } from './pack-index.ts'
import { ZERO_DIGEST } from './pack-record.ts'
import type { RecordToAppend } from './pack-record.ts'
import type { PackWriter } from './pack-writer.ts'

/** A sealed chunk to store: `digest` is ciphertextDigest(sealed), checked before anything is
 * written. The bytes must not change until put resolves (they are written as given). */
export interface ChunkToStore {
  readonly id: string
  readonly digest: string
  readonly sealed: Uint8Array
}

type Op =
  | { readonly type: 'put', readonly chunks: readonly ChunkToStore[], readonly bytes: number,
    readonly resolve: (r: { stored: number, had: number }) => void, readonly reject: (err: unknown) => void }
  | { readonly type: 'remove', readonly ids: readonly string[], readonly bytes: number,
    readonly resolve: (held: number) => void, readonly reject: (err: unknown) => void }
  | { readonly type: 'compact', readonly pack: number, readonly bytes: number,
    readonly resolve: (freed: number | undefined) => void, readonly reject: (err: unknown) => void }

/**
 * A chunk store's writes, group-committed: puts and removes that arrive while a write and fsync
 * are in flight go, in arrival order, into the next write (up to MAX_STORE_BATCH_BYTES, at least
 * one call); a compaction step runs alone, between them. Each call resolves once its records are
 * durable and indexed. Calls are checked by the store before they get here.
 */
export class GroupCommit {
  readonly #index: PackIndex
  readonly #writer: PackWriter
  readonly #compaction: PackCompaction
  #queue: Op[] = []
  #pumping: Promise<void> | undefined

  constructor (index: PackIndex, writer: PackWriter, compaction: PackCompaction) {
    this.#index = index
    this.#writer = writer
    this.#compaction = compaction
  }

  /** Stores the chunks not yet held (`bytes`: their sealed bytes); how many it stored and had. */
  async put (chunks: readonly ChunkToStore[], bytes: number): Promise<{ stored: number, had: number }> {
    return await new Promise((resolve, reject) => { this.#enqueue({ type: 'put', chunks, bytes, resolve, reject }) })
  }

  /** Tombstones the ids held; how many were. */
  async remove (ids: readonly string[]): Promise<number> {
    return await new Promise((resolve, reject) => {
      this.#enqueue({ type: 'remove', ids, bytes: ids.length * PACK_RECORD_HEADER_BYTES, resolve, reject })
    })
  }

  /** Rewrites pack `n` (PackCompaction.compact) between writes; the bytes freed. */
  async compact (pack: number): Promise<number | undefined> {
    return await new Promise((resolve, reject) => { this.#enqueue({ type: 'compact', pack, bytes: 0, resolve, reject }) })
  }

  /** Resolves once every write asked for so far is done. */
  async drained (): Promise<void> {
    while (this.#pumping !== undefined) await this.#pumping
  }

  #enqueue (op: Op): void {
    this.#queue.push(op)
    if (this.#pumping === undefined) this.#pumping = this.#pump()
  }

  /** Runs the queue: consecutive puts and removes go together in one write (up to
   * MAX_STORE_BATCH_BYTES, at least one op); a compaction step runs alone. */
  async #pump (): Promise<void> {
    // callers in the same tick join the first write
    await undefined
    while (this.#queue.length > 0) {
      const first = this.#queue[0] as Op
      if (first.type === 'compact') {
        this.#queue.shift()
        try {
          first.resolve(await this.#compaction.compact(first.pack))
        } catch (err) {
          first.reject(err)
        }
        continue
      }
      let bytes = first.bytes
      let count = 1
      while (count < this.#queue.length) {
        const next = this.#queue[count] as Op
        if (next.type === 'compact' || bytes + next.bytes > MAX_STORE_BATCH_BYTES) break
        bytes += next.bytes
        count++
      }
      const group = this.#queue.splice(0, count) as Array<Exclude<Op, { type: 'compact' }>>
      await this.#commit(group)
    }
    // synchronous with the last check of the queue: an op enqueued after it starts a new pump
    this.#pumping = undefined
  }

  /** One write and one fsync for a group of puts and removes, in arrival order; then the index. */
  async #commit (group: ReadonlyArray<Exclude<Op, { type: 'compact' }>>): Promise<void> {
    // what the group changes, for the ops later in it (two puts of one id store it once)
    const pending = new Map<string, boolean>()
    const held = (id: string): boolean => pending.get(id) ?? this.#index.has(id)
    const appends: RecordToAppend[] = []
    const results: number[] = []
    for (const op of group) {
      if (op.type === 'put') {
        let had = 0
        for (const c of op.chunks) {
          if (held(c.id)) {
            had++
            continue
          }
          pending.set(c.id, true)
          appends.push({ kind: PACK_RECORD_PUT, id: c.id, digest: c.digest, body: c.sealed })
        }
        results.push(had)
      } else {
        let count = 0
        for (const id of op.ids) {
          if (!held(id)) continue
          count++
          pending.set(id, false)
          appends.push({ kind: PACK_RECORD_REMOVE, id, digest: ZERO_DIGEST, body: undefined })
        }
        results.push(count)
      }
    }
    try {
      if (appends.length > 0) {
        const { pack, offsets } = await this.#writer.append(appends)
        for (let i = 0; i < appends.length; i++) {
          const a = appends[i] as RecordToAppend
          this.#index.apply({ kind: a.kind, id: a.id, digest: a.digest, length: a.body?.byteLength ?? 0 }, pack, offsets[i] as number)
        }
      }
    } catch (err) {
      for (const op of group) op.reject(err)
      return
    }
    group.forEach((op, i) => {
      const n = results[i] as number
      if (op.type === 'put') op.resolve({ stored: op.chunks.length - n, had: n })
      else op.resolve(n)
    })
  }
}
