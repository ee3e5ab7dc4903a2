import { createPlainCodec } from '../../actors/index.ts'
import { storedRecordEpoch } from '../replication/index.ts'
import { END, END_BYTES, ENTITY, LATEST, SNAPSHOT, STORED } from './block-decode.ts'
import type { EntityBlock } from './block-decode.ts'
import type { ChunkSession } from './chunk-pool.ts'
import type { WorkerChunk } from './chunk-worker.ts'
import { CHUNK_PIECE_BYTES, CHUNK_PIECES_IN_FLIGHT, MAX_BACKUP_RECORD_BYTES } from './constants.ts'
import { BackupFormatError } from './errors.ts'
import { pagesOf } from './partition-cut.ts'
import type { EntityCut } from './partition-cut.ts'

/** A chunk of a partition stream as it goes to holders: sealed, with what names and checks it. */
export interface SealedChunk {
  readonly id: string
  /** Plaintext bytes (its share of the stream). */
  readonly size: number
  /** SHA-256 of the sealed bytes (what a holder checks without the key). */
  readonly digest: string
  /** Absent for a chunk an earlier backup stored already (`known`): nothing to seal or send. */
  readonly sealed?: Uint8Array
}

export { decodeBlock, decodeLast, decodeLatest } from './block-decode.ts'
export type { DecodedEntity, EntityBlock } from './block-decode.ts'

const codec = createPlainCodec()

/**
 * Writes one partition's entities as a stream of blocks (in the order given: the cut's, by id),
 * sent in pieces to a chunk worker (ChunkSession) that cuts it into content-defined chunks and
 * seals each under the key. `add` waits only while the worker has pieces enough; `ready` gives the
 * chunks cut so far, in stream order; `finish` the rest and where each entity's block lies, which
 * is what lets a restore of one room read only the chunks its block spans.
 */
export class PartitionStreamWriter {
  readonly #open: () => ChunkSession
  #session: ChunkSession | undefined
  readonly #blocks: EntityBlock[] = []
  /** Chunks the worker gave back, in order, not yet taken by `ready`. */
  readonly #cut: SealedChunk[] = []
  readonly #pushed: Array<Promise<void>> = []
  #failure: unknown
  #piece: Buffer = Buffer.allocUnsafeSlow(CHUNK_PIECE_BYTES)
  #at = 0
  #offset = 0
  #finished = false

  /** `session`: opens the worker's session, when the first bytes are ready to go. */
  constructor (session: () => ChunkSession) {
    this.#open = session
  }

  /** Bytes of the stream so far. */
  get bytes (): number { return this.#offset }

  /** Adds an entity's block. `take`: handed the chunks cut so far while the block is written (a
   * long journal's sealed chunks go on to their holders as they come, rather than all at its end);
   * what it leaves is taken by `ready`. */
  async add (cut: EntityCut, take?: (chunks: SealedChunk[]) => Promise<void>): Promise<void> {
    if (this.#finished) throw new BackupFormatError('this partition stream is finished')
    const last = this.#blocks.at(-1)
    if (last !== undefined && !(cut.entity > last.entity)) throw new BackupFormatError(`entities go into a stream in id order: ${cut.entity} after ${last.entity}`)
    const start = this.#offset
    const name = Buffer.from(cut.entity, 'utf8')
    this.#frame(ENTITY, name, 2)
    if (cut.trimmed !== undefined) {
      const { floor, snapshot } = cut.trimmed
      const body = codec.encode([floor, snapshot.seq, snapshot.state])
      if (body.byteLength > MAX_BACKUP_RECORD_BYTES) throw new BackupFormatError(`${cut.entity}: its snapshot is ${body.byteLength} bytes, more than a backup takes (${MAX_BACKUP_RECORD_BYTES})`)
      this.#frame(SNAPSHOT, body, 4)
    }
    let seq = cut.trimmed?.floor ?? 1
    // the last record's frame, and the record before it, for a restore that cuts a journal back to
    // one record before the backup's head (EntityBlock.last)
    let lastAt = -1
    let lastValue: Uint8Array | undefined
    let before: Uint8Array | undefined
    // (a streamed cut's pages are read as they are taken: each is dead before the next is read)
    for await (const page of pagesOf(cut.values)) {
      for (const value of page) {
        if (value.byteLength > MAX_BACKUP_RECORD_BYTES) throw new BackupFormatError(`${cut.entity}: record ${seq} is ${value.byteLength} bytes, more than a backup takes (${MAX_BACKUP_RECORD_BYTES})`)
        before = lastValue
        lastValue = value
        lastAt = this.#offset - start
        this.#frame(STORED, value, 4)
        seq++
        if (this.#pushed.length > CHUNK_PIECES_IN_FLIGHT) {
          await this.#drainPushes()
          if (take !== undefined && this.#cut.length > 0) await take(this.ready())
        }
      }
    }
    // the snapshot the replica held, for a restore that cuts the journal back to this backup (one
    // too large to take is left out: the restore then folds the records, as without one)
    let snapshot: EntityBlock['snapshot']
    if (cut.latest !== undefined) {
      const body = codec.encode([cut.latest.seq, cut.latest.state])
      if (body.byteLength <= MAX_BACKUP_RECORD_BYTES) {
        snapshot = { seq: cut.latest.seq, offset: this.#offset - start, length: 5 + body.byteLength }
        this.#frame(LATEST, body, 4)
      }
    }
    const end = Buffer.allocUnsafe(END_BYTES)
    end[0] = END
    end.writeDoubleBE(cut.head, 1)
    end.writeDoubleBE(cut.headEpoch, 9)
    this.#write(end)
    const prevEpoch = before === undefined ? undefined : storedRecordEpoch(before)
    const tail = lastValue === undefined || prevEpoch === undefined ? undefined : { offset: lastAt, length: 5 + lastValue.byteLength, prevEpoch }
    this.#blocks.push({ entity: cut.entity, offset: start, length: this.#offset - start, head: cut.head, headEpoch: cut.headEpoch, ...(snapshot !== undefined && { snapshot }), ...(tail !== undefined && { last: tail }) })
    await this.#drainPushes()
  }

  /** Ends the stream without its chunks (the partition was not needed after all, or its reading
   * failed): the worker's session ends, what it cut is dropped. */
  abandon (): void {
    if (this.#finished) return
    this.#finished = true
    this.#session?.finish().catch(() => undefined)
  }

  /** The chunks cut so far and not yet taken, in stream order. */
  ready (): SealedChunk[] {
    if (this.#failure !== undefined) throw this.#failure
    return this.#cut.splice(0)
  }

  async finish (): Promise<{ readonly chunks: SealedChunk[], readonly blocks: readonly EntityBlock[], readonly bytes: number }> {
    if (this.#finished) throw new BackupFormatError('this partition stream is finished')
    this.#finished = true
    if (this.#at > 0) this.#push()
    await Promise.all(this.#pushed.splice(0))
    if (this.#failure !== undefined) throw this.#failure
    this.#taken(await (this.#session ??= this.#open()).finish())
    return { chunks: this.ready(), blocks: this.#blocks, bytes: this.#offset }
  }

  /** A frame: its type byte, its body's length in `lengthBytes` (2 or 4), its body. */
  #frame (type: number, body: Uint8Array, lengthBytes: 2 | 4): void {
    if (this.#at + 1 + lengthBytes > CHUNK_PIECE_BYTES) this.#push()
    const piece = this.#piece
    piece[this.#at] = type
    if (lengthBytes === 2) piece.writeUInt16BE(body.byteLength, this.#at + 1)
    else piece.writeUInt32BE(body.byteLength, this.#at + 1)
    this.#at += 1 + lengthBytes
    this.#offset += 1 + lengthBytes
    this.#write(body)
  }

  #write (bytes: Uint8Array): void {
    let from = 0
    while (from < bytes.byteLength) {
      const n = Math.min(bytes.byteLength - from, CHUNK_PIECE_BYTES - this.#at)
      this.#piece.set(from === 0 && n === bytes.byteLength ? bytes : bytes.subarray(from, from + n), this.#at)
      this.#at += n
      from += n
      if (this.#at === CHUNK_PIECE_BYTES) this.#push()
    }
    this.#offset += bytes.byteLength
  }

  /** The piece under way goes to the worker (moved there: a new one is started). */
  #push (): void {
    const piece = this.#piece.subarray(0, this.#at)
    this.#piece = Buffer.allocUnsafeSlow(CHUNK_PIECE_BYTES)
    this.#at = 0
    this.#pushed.push((this.#session ??= this.#open()).push(piece).then((chunks) => { this.#taken(chunks) }, (err: unknown) => { this.#failure ??= err }))
  }

  /** Waits while the worker has its fill of pieces (ChunkSession.push waits for room). */
  async #drainPushes (): Promise<void> {
    while (this.#pushed.length > CHUNK_PIECES_IN_FLIGHT) await this.#pushed.shift()
    if (this.#failure !== undefined) throw this.#failure
  }

  #taken (chunks: readonly WorkerChunk[]): void {
    for (const c of chunks) this.#cut.push(c)
  }
}

/**
 * The chunks of a partition's stream that a block spans: the first and last index into the
 * partition's chunk list (whose plaintext sizes are `sizes`, in stream order), and where the block
 * starts in the first. A one-room restore fetches only these.
 */
export function chunkSpan (sizes: readonly number[], block: Pick<EntityBlock, 'offset' | 'length'>): { first: number, last: number, skip: number } {
  let start = 0
  let first = -1
  for (let i = 0; i < sizes.length; i++) {
    const end = start + (sizes[i] as number)
    if (first < 0 && block.offset < end) first = i
    if (first >= 0 && block.offset + block.length <= end) return { first, last: i, skip: block.offset - sumTo(sizes, first) }
    start = end
  }
  throw new BackupFormatError(`a block at ${block.offset} of ${block.length} bytes runs past its stream's ${start} bytes`)
}

function sumTo (sizes: readonly number[], index: number): number {
  let n = 0
  for (let i = 0; i < index; i++) n += sizes[i] as number
  return n
}
