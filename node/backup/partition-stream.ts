import { createPlainCodec } from '../../actors/index.ts'
import type { StoredRecord, StoredSnapshot } from '../replication/index.ts'
import { sealedRecord } from '../replication/index.ts'
import type { ChunkSession } from './chunk-pool.ts'
import type { WorkerChunk } from './chunk-worker.ts'
import { CHUNK_PIECE_BYTES, CHUNK_PIECES_IN_FLIGHT, MAX_BACKUP_RECORD_BYTES } from './constants.ts'
import { BackupFormatError } from './errors.ts'
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

/** Where one entity's block lies in its partition's stream. */
export interface EntityBlock {
  readonly entity: string
  readonly offset: number
  readonly length: number
  readonly head: number
  readonly headEpoch: number
}

/** One entity as a block holds it. */
export interface DecodedEntity {
  readonly entity: string
  readonly head: number
  readonly headEpoch: number
  readonly records: readonly StoredRecord[]
  /** A trimmed journal's floor and the snapshot covering what is below it (EntityCut.trimmed). */
  readonly trimmed?: { readonly floor: number, readonly snapshot: StoredSnapshot }
}

// Block layout: 'E' u16 name length, the name (UTF-8); for a trimmed journal only, 'S' u32
// length, msgpack [floor, snapshot seq, snapshot state]; per record 'V' u32 length, the record as
// the store keeps it, seal included ([seal id][SHA-256(key ‖ payload)][msgpack { e, v, … }]: a
// restore into a cluster of the same partition count writes it back as it is); then 'Z' f64 head,
// f64 head epoch. Backups made before records were kept as stored have 'R' u32 length, msgpack
// [seq, epoch, event] (or [seq, epoch, event, rev, revEpoch?] for a rewritten record:
// docs/replication.md, "Rewrites and trims") instead of 'V': both are read. The head comes last
// and nothing counts the records ahead of them, so records appended to an entity change only the
// end of its block: content-defined chunking then keeps every chunk before that end (an unchanged
// room, and the unchanged start of a changed one, cost the next backup nothing).
const ENTITY = 0x45
const RECORD = 0x52
const STORED = 0x56
const SNAPSHOT = 0x53
const END = 0x5a
const END_BYTES = 17

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

  async add (cut: EntityCut): Promise<void> {
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
    const floor = cut.trimmed?.floor ?? 1
    for (let i = 0; i < cut.values.length; i++) {
      const value = cut.values[i] as Uint8Array
      if (value.byteLength > MAX_BACKUP_RECORD_BYTES) throw new BackupFormatError(`${cut.entity}: record ${floor + i} is ${value.byteLength} bytes, more than a backup takes (${MAX_BACKUP_RECORD_BYTES})`)
      this.#frame(STORED, value, 4)
      if (this.#pushed.length > CHUNK_PIECES_IN_FLIGHT) await this.#drainPushes()
    }
    const end = Buffer.allocUnsafe(END_BYTES)
    end[0] = END
    end.writeDoubleBE(cut.head, 1)
    end.writeDoubleBE(cut.headEpoch, 9)
    this.#write(end)
    this.#blocks.push({ entity: cut.entity, offset: start, length: this.#offset - start, head: cut.head, headEpoch: cut.headEpoch })
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
 * The entity of one block (`bytes` holds exactly the block: its offset and length from the
 * manifest), checked: a well-formed block of that entity whose records run 1..head without a gap.
 * Anything else is BackupFormatError (a chunk set that does not assemble into what the manifest
 * says: never taken for data). `lazy`: each record's event is decoded when first read (its seq and
 * epoch at once): a restore that writes a few records of a long journal decodes those.
 */
export function decodeBlock (bytes: Uint8Array, expected: EntityBlock, opts: { lazy?: boolean } = {}): DecodedEntity {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const fail = (why: string): never => { throw new BackupFormatError(`${expected.entity}'s block: ${why}`) }
  if (buf.byteLength !== expected.length) fail(`${buf.byteLength} bytes, the manifest says ${expected.length}`)
  if (buf.byteLength < 3 + END_BYTES || buf[0] !== ENTITY) fail('it does not start as a block')
  const nameLength = buf.readUInt16BE(1)
  if (3 + nameLength > buf.byteLength) fail('its name runs past its end')
  const entity = buf.toString('utf8', 3, 3 + nameLength)
  if (entity !== expected.entity) fail(`it holds ${entity.slice(0, 100)}`)
  const records: StoredRecord[] = []
  let at = 3 + nameLength
  let trimmed: DecodedEntity['trimmed']
  if (buf[at] === SNAPSHOT) {
    ({ trimmed, at } = decodeSnapshot(buf, at, fail))
  }
  const floor = trimmed?.floor ?? 1
  while (at < buf.byteLength && (buf[at] === RECORD || buf[at] === STORED)) {
    if (at + 5 > buf.byteLength) fail('a record frame runs past its end')
    const length = buf.readUInt32BE(at + 1)
    if (length > MAX_BACKUP_RECORD_BYTES || at + 5 + length > buf.byteLength) fail(`record ${records.length + 1} runs past its end`)
    const body = buf.subarray(at + 5, at + 5 + length)
    if (buf[at] === STORED) {
      // a record as the store kept it: its epoch read now, its event when asked for (or now, unless lazy)
      const seq = floor + records.length
      const stored = sealedRecord(seq, body)
      if (stored === undefined) fail(`record ${seq} is not a sealed record`)
      if (opts.lazy !== true) {
        try {
          void (stored as StoredRecord).event
        } catch {
          fail(`record ${seq} does not decode`)
        }
      }
      records.push(stored as StoredRecord)
      at += 5 + length
      continue
    }
    // [seq, epoch, event] as the writer encodes it: the two integers are read here, the event only
    // when it is asked for (a restore of a room that got a few posts since reads the epochs of
    // all its records and the events of a few)
    const lazy = opts.lazy === true ? lazyRecord(body) : undefined
    if (lazy !== undefined) {
      if (lazy.seq !== floor + records.length) fail(`record ${floor + records.length} is not [seq, epoch, event] in order`)
      records.push(lazy)
      at += 5 + length
      continue
    }
    let value: unknown[] = []
    try {
      value = codec.decode(body) as unknown[]
    } catch {
      fail(`record ${records.length + 1} does not decode`)
    }
    if (!Array.isArray(value) || value.length < 3 || value.length > 5 || value[0] !== floor + records.length || !Number.isSafeInteger(value[1]) || (value[1] as number) < 0 ||
      value.slice(3).some((x) => !Number.isSafeInteger(x) || (x as number) < 1)) {
      fail(`record ${floor + records.length} is not [seq, epoch, event, rev?, revEpoch?] in order`)
    }
    const [seq, epoch, event, rev, revEpoch] = value as [number, number, unknown, number?, number?]
    records.push({ seq, epoch, event, ...(rev !== undefined && { rev }), ...(revEpoch !== undefined && { revEpoch }) })
    at += 5 + length
  }
  if (at + END_BYTES !== buf.byteLength || buf[at] !== END) fail('it does not end with its head')
  const head = buf.readDoubleBE(at + 1)
  const headEpoch = buf.readDoubleBE(at + 9)
  // (a journal trimmed whole holds no record to check its head's epoch by)
  const last = records.at(-1)
  if (head !== floor - 1 + records.length || head !== expected.head || headEpoch !== expected.headEpoch || (last === undefined ? floor === 1 && headEpoch !== 0 : last.epoch !== headEpoch)) {
    fail(`it ends at seq ${head} epoch ${headEpoch} with ${records.length} records from ${floor}; the manifest says seq ${expected.head} epoch ${expected.headEpoch}`)
  }
  return { entity, head, headEpoch, records, ...(trimmed !== undefined && { trimmed }) }
}

/** A block's snapshot frame: [floor ≥ 2, snapshot seq ≥ floor − 1, state]. */
function decodeSnapshot (buf: Buffer, at: number, fail: (why: string) => never): { trimmed: NonNullable<DecodedEntity['trimmed']>, at: number } {
  if (at + 5 > buf.byteLength) fail('its snapshot frame runs past its end')
  const length = buf.readUInt32BE(at + 1)
  if (length > MAX_BACKUP_RECORD_BYTES || at + 5 + length > buf.byteLength) fail('its snapshot runs past its end')
  let value: unknown[] = []
  try {
    value = codec.decode(buf.subarray(at + 5, at + 5 + length)) as unknown[]
  } catch {
    fail('its snapshot does not decode')
  }
  const [floor, seq, state] = value
  if (!Array.isArray(value) || value.length !== 3 || !Number.isSafeInteger(floor) || (floor as number) < 2 || !Number.isSafeInteger(seq) || (seq as number) < (floor as number) - 1) {
    fail('its snapshot is not [floor, seq, state]')
  }
  return { trimmed: { floor: floor as number, snapshot: { seq: seq as number, state } }, at: at + 5 + length }
}

/**
 * A record whose body is msgpack [seq, epoch, event] with seq and epoch unsigned integers (as
 * msgpack writes them: a fixint or uint 8/16/32), its event decoded on first access; undefined when
 * the body is not in that form (the caller decodes it whole). An event that does not decode throws
 * BackupFormatError when asked for.
 */
function lazyRecord (body: Buffer): StoredRecord | undefined {
  if (body.byteLength < 4 || body[0] !== 0x93) return undefined
  const seq = readUint(body, 1)
  if (seq === undefined) return undefined
  const epoch = readUint(body, seq.next)
  if (epoch === undefined || epoch.next >= body.byteLength) return undefined
  return new LazyRecord(seq.value, epoch.value, body.subarray(epoch.next))
}

class LazyRecord implements StoredRecord {
  readonly seq: number
  readonly epoch: number
  #bytes: Buffer | undefined
  #event: unknown

  constructor (seq: number, epoch: number, bytes: Buffer) {
    this.seq = seq
    this.epoch = epoch
    this.#bytes = bytes
  }

  get event (): unknown {
    if (this.#bytes !== undefined) {
      try {
        this.#event = codec.decode(this.#bytes)
      } catch {
        throw new BackupFormatError(`record ${this.seq}'s event does not decode`)
      }
      this.#bytes = undefined
    }
    return this.#event
  }
}

/** A msgpack unsigned integer at `at` (fixint, uint 8, 16 or 32), and where what follows starts. */
function readUint (buf: Buffer, at: number): { value: number, next: number } | undefined {
  const tag = buf[at]
  if (tag === undefined) return undefined
  if (tag <= 0x7f) return { value: tag, next: at + 1 }
  if (tag === 0xcc && at + 2 <= buf.byteLength) return { value: buf[at + 1] as number, next: at + 2 }
  if (tag === 0xcd && at + 3 <= buf.byteLength) return { value: buf.readUInt16BE(at + 1), next: at + 3 }
  if (tag === 0xce && at + 5 <= buf.byteLength) return { value: buf.readUInt32BE(at + 1), next: at + 5 }
  return undefined
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
