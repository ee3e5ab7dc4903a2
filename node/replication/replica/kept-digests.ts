import { ENTITY_DIGESTS, REPLICA_MERKLE_DEPTH, SPAN_BLOCK, SPAN_DIGEST_BYTES } from '../constants.ts'
import { bucketOf } from '../repair/merkle-tree.ts'

/** What a replica keeps in memory of one entity's records (the first ENTITY_DIGESTS entities). */
export interface KeptEntity {
  readonly partition: number
  /** The XOR of its records' digests. */
  readonly digest: Uint8Array
  /** The XOR of each block's digests (SPAN_BLOCK seqs, 32 bytes a block, grown as records come);
   * undefined once given up (SPAN_DIGEST_BYTES): its spans are then read from the store. */
  blocks: Uint8Array | undefined
  /** Its records here (added minus removed). */
  count: number
  /** No record of it here has a higher seq (the highest seq stored, lowered as that record goes;
   * an upper bound, never below a record held). */
  last: number
}

/** Reads span digests from the store (what is not kept). */
export type SpanReader = (entity: string, from: number, to: number, span: number) => Promise<Uint8Array[]>

/**
 * Each entity's digest (the XOR of its records' digests), its span digests and its last seq, kept
 * like the partitions' Merkle trees for the first ENTITY_DIGESTS entities and following every write
 * (level-replica-storage.ts): anti-entropy compares entities, and narrows a differing one down to a
 * block of records, without reading them.
 */
export class KeptDigests {
  readonly #kept = new Map<string, KeptEntity>()
  /** The entities kept, by partition and bucket of its tree (`partition * buckets + bucket`): what
   * a peer's anti-entropy lists, a differing bucket at a time. */
  readonly #inBucket = new Map<number, string[]>()
  /** Bytes of kept span digests (their blocks' capacity). */
  #blockBytes = 0
  /** True while every entity holding records here has its digest kept. */
  #allEntities = true

  /** The entity's kept digests (undefined: not kept, or it holds no record here). */
  get (entity: string): KeptEntity | undefined { return this.#kept.get(entity) }

  /** True while every entity holding records here has its digest kept (one not kept holds none). */
  get all (): boolean { return this.#allEntities }

  /** The entities kept in one bucket of a partition's tree. */
  inBucket (partition: number, bucket: number): string[] {
    return [...(this.#inBucket.get(partition * (1 << REPLICA_MERKLE_DEPTH) + bucket) ?? [])]
  }

  /** Every entity kept, with what is kept of it (a copy of the state to make it again: `restore`). */
  saved (): { all: boolean, entities: Array<[string, KeptEntity]> } {
    return { all: this.#allEntities, entities: [...this.#kept] }
  }

  /** Made again from what `saved` gave (on an empty one: the store's open). */
  restore (saved: { all: boolean, entities: ReadonlyArray<readonly [string, KeptEntity]> }): void {
    if (this.#kept.size > 0) throw new Error('KeptDigests.restore: only an empty one is restored')
    this.#allEntities = saved.all
    for (const [entity, kept] of saved.entities) {
      this.#kept.set(entity, kept)
      if (kept.blocks !== undefined) this.#blockBytes += kept.blocks.byteLength
      const at = kept.partition * (1 << REPLICA_MERKLE_DEPTH) + bucketOf(entity, REPLICA_MERKLE_DEPTH)
      const bucket = this.#inBucket.get(at)
      if (bucket === undefined) this.#inBucket.set(at, [entity])
      else bucket.push(entity)
    }
  }

  /** A kept entity's digests replaced by another account of its records (LevelReplicaStorage's
   * resync from the disk); its blocks given up when they no longer fit. */
  reset (entity: string, digest: Uint8Array, blocks: Uint8Array | undefined, last: number, count: number): void {
    const kept = this.#kept.get(entity)
    if (kept === undefined) return
    kept.digest.set(digest)
    kept.last = last
    kept.count = count
    if (kept.blocks === undefined) return
    this.#blockBytes -= kept.blocks.byteLength
    const fits = blocks !== undefined && this.#blockBytes + blocks.byteLength <= SPAN_DIGEST_BYTES
    kept.blocks = fits ? Uint8Array.from(blocks) : (blocks === undefined ? new Uint8Array(64) : undefined)
    if (kept.blocks !== undefined) this.#blockBytes += kept.blocks.byteLength
  }

  /** A record's digest joins its entity's digests. */
  added (p: number, entity: string, seq: number, digest: Uint8Array): void {
    const kept = this.#keep(p, entity)
    if (kept === undefined) return
    xorInto(kept.digest, 0, digest)
    kept.count++
    if (seq > kept.last) kept.last = seq
    const at = Math.floor((seq - 1) / SPAN_BLOCK) * 32
    if (kept.blocks !== undefined && at + 32 > kept.blocks.byteLength) this.#growBlocks(kept, at + 32)
    if (kept.blocks !== undefined) xorInto(kept.blocks, at, digest)
  }

  /** A record removed (truncated, or a damaged value replaced): its digest leaves them again. */
  removed (entity: string, seq: number, digest: Uint8Array): void {
    const kept = this.#kept.get(entity)
    if (kept === undefined) return
    xorInto(kept.digest, 0, digest)
    kept.count--
    // removals of a tail come last seq first (LevelReplicaStorage's truncating write): the bound
    // follows them down
    if (seq === kept.last) kept.last = seq - 1
    const at = Math.floor((seq - 1) / SPAN_BLOCK) * 32
    if (kept.blocks !== undefined && at + 32 <= kept.blocks.byteLength) xorInto(kept.blocks, at, digest)
  }

  /** The XOR of the record digests of each span of `span` seqs in [from, to] (the last may be
   * shorter). Spans that start on a block (SPAN_BLOCK) are summed from the kept blocks; at most the
   * last block, cut by `to` while records follow it, is read (`read`); everything is read when the
   * entity's blocks are not kept or the spans do not start on blocks. */
  async spans (entity: string, from: number, to: number, span: number, read: SpanReader): Promise<Uint8Array[]> {
    const kept = this.#kept.get(entity)
    const count = Math.ceil((to - from + 1) / span)
    if (kept?.blocks === undefined || (from - 1) % SPAN_BLOCK !== 0 || (span % SPAN_BLOCK !== 0 && count > 1)) return await read(entity, from, to, span)
    const blocks = kept.blocks
    const all = new Uint8Array(count * 32)
    // blocks past the last record (or past what is kept) hold nothing
    const end = Math.min(to, kept.last, Math.floor(blocks.byteLength / 32) * SPAN_BLOCK)
    let cut: Promise<Uint8Array[]> | undefined
    let cutAt = 0
    for (let first = from; first <= end; first += SPAN_BLOCK) {
      const at = Math.floor((first - from) / span) * 32
      if (first + SPAN_BLOCK - 1 > to && kept.last > to) {
        // the block runs past `to` and holds records there: its part up to `to` is read
        cut = read(entity, first, to, SPAN_BLOCK)
        cutAt = at
        break
      }
      const b = (first - 1) / SPAN_BLOCK * 32
      for (let k = 0; k < 32; k++) all[at + k] = (all[at + k] as number) ^ (blocks[b + k] as number)
    }
    if (cut !== undefined) xorInto(all, cutAt, ((await cut)[0] as Uint8Array))
    return Array.from({ length: count }, (_, i) => all.subarray(i * 32, i * 32 + 32))
  }

  /** The entity's kept digests, started at its first record while there is room; undefined past
   * ENTITY_DIGESTS (entities not yet kept are never kept then: digests started late would miss the
   * records before them; they are computed from the store when asked). */
  #keep (p: number, entity: string): KeptEntity | undefined {
    let kept = this.#kept.get(entity)
    if (kept === undefined) {
      if (!this.#allEntities || this.#kept.size >= ENTITY_DIGESTS) {
        this.#allEntities = false
        return undefined
      }
      kept = { partition: p, digest: new Uint8Array(32), count: 0, blocks: this.#blockBytes + 64 <= SPAN_DIGEST_BYTES ? new Uint8Array(64) : undefined, last: 0 }
      if (kept.blocks !== undefined) this.#blockBytes += kept.blocks.byteLength
      this.#kept.set(entity, kept)
      const at = p * (1 << REPLICA_MERKLE_DEPTH) + bucketOf(entity, REPLICA_MERKLE_DEPTH)
      const bucket = this.#inBucket.get(at)
      if (bucket === undefined) this.#inBucket.set(at, [entity])
      else bucket.push(entity)
    }
    return kept
  }

  /** Room for blocks up to `bytes` (doubling), or the entity's blocks given up past SPAN_DIGEST_BYTES. */
  #growBlocks (kept: KeptEntity, bytes: number): void {
    const old = kept.blocks as Uint8Array
    const size = Math.max(bytes, old.byteLength * 2)
    this.#blockBytes -= old.byteLength
    if (this.#blockBytes + size > SPAN_DIGEST_BYTES) {
      kept.blocks = undefined
      return
    }
    const grown = new Uint8Array(size)
    grown.set(old)
    kept.blocks = grown
    this.#blockBytes += size
  }
}

/** XORs a 32-byte digest into `into` at `at`. */
export function xorInto (into: Uint8Array, at: number, digest: Uint8Array): void {
  for (let b = 0; b < 32; b++) into[at + b] = (into[at + b] as number) ^ (digest[b] as number)
}
