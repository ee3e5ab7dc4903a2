import { createPlainCodec } from '../../actors/index.ts'
import type { SealedRecord, StoredRecord, StoredSnapshot } from '../replication/index.ts'
import { sealedRecord } from '../replication/index.ts'
import { MAX_BACKUP_RECORD_BYTES } from './constants.ts'
import { BackupFormatError } from './errors.ts'

/** Where one entity's block lies in its partition's stream. */
export interface EntityBlock {
  readonly entity: string
  readonly offset: number
  readonly length: number
  readonly head: number
  readonly headEpoch: number
  /** Where the block holds the entity's snapshot as its replica had it when the backup read it
   * (its 'P' frame: offset from the block's start, length with its header): what a restore that
   * cuts a journal back to the backup puts in place of a snapshot built past it (cutToBackup),
   * reading only the chunks this spans. Absent: the block holds none (none was held, or too large). */
  readonly snapshot?: { readonly seq: number, readonly offset: number, readonly length: number }
  /** Where the block holds its last record (its 'V' frame: offset from the block's start, length
   * with its header), and the epoch of the record before it: what a restore reads to cut a journal
   * back to the record before the backup's head and write the head again, where an activation since
   * sealed the head anew under its own epoch (cutToBackup). Absent: fewer than two records as
   * stored (a backup made before 2026-11-27 has none). */
  readonly last?: { readonly offset: number, readonly length: number, readonly prevEpoch: number }
}

/** One entity as a block holds it. */
export interface DecodedEntity {
  readonly entity: string
  readonly head: number
  readonly headEpoch: number
  readonly records: readonly StoredRecord[]
  /** A trimmed journal's floor and the snapshot covering what is below it (EntityCut.trimmed). */
  readonly trimmed?: { readonly floor: number, readonly snapshot: StoredSnapshot }
  /** Its snapshot as its replica held it (EntityCut.latest, the 'P' frame), when the block has one. */
  readonly latest?: StoredSnapshot
}

// Block layout: 'E' u16 name length, the name (UTF-8); for a trimmed journal only, 'S' u32
// length, msgpack [floor, snapshot seq, snapshot state]; per record 'V' u32 length, the record as
// the store keeps it, seal included ([seal id][SHA-256(key ‖ payload)][msgpack { e, v, … }]: a
// restore into a cluster of the same partition count writes it back as it is); then (manifest
// format 3, when the replica held one) 'P' u32 length, msgpack [snapshot seq, snapshot state], its
// latest snapshot (seq at most the head); then 'Z' f64 head, f64 head epoch. Backups made before records were kept as stored have 'R' u32 length, msgpack
// [seq, epoch, event] (or [seq, epoch, event, rev, revEpoch?] for a rewritten record:
// docs/replication.md, "Rewrites and trims") instead of 'V': both are read. The head comes last
// and nothing counts the records ahead of them, so records appended to an entity change only the
// end of its block: content-defined chunking then keeps every chunk before that end (an unchanged
// room, and the unchanged start of a changed one, cost the next backup nothing).
export const ENTITY = 0x45
export const RECORD = 0x52
export const STORED = 0x56
export const SNAPSHOT = 0x53
export const LATEST = 0x50
export const END = 0x5a
export const END_BYTES = 17

const codec = createPlainCodec()

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
  let lastAt = -1
  while (at < buf.byteLength && (buf[at] === RECORD || buf[at] === STORED)) {
    lastAt = at
    if (at + 5 > buf.byteLength) fail('a record frame runs past its end')
    const length = buf.readUInt32BE(at + 1)
    if (length > MAX_BACKUP_RECORD_BYTES || at + 5 + length > buf.byteLength) fail(`record ${records.length + 1} runs past its end`)
    records.push(decodeRecord(buf[at] === STORED, buf.subarray(at + 5, at + 5 + length), floor + records.length, opts.lazy === true, fail))
    at += 5 + length
  }
  const recordsEnd = at
  let latest: StoredSnapshot | undefined
  if (buf[at] === LATEST) {
    if (expected.snapshot?.offset !== at) fail(`its snapshot is at ${at}, the manifest says ${expected.snapshot?.offset ?? 'none'}`)
    const end = at + 5 + (at + 5 <= buf.byteLength ? buf.readUInt32BE(at + 1) : 0)
    latest = decodeLatest(buf.subarray(at, end), expected)
    at = end
  } else if (expected.snapshot !== undefined) {
    fail(`it holds no snapshot, the manifest says one at ${expected.snapshot.offset}`)
  }
  if (at + END_BYTES !== buf.byteLength || buf[at] !== END) fail('it does not end with its head')
  const head = buf.readDoubleBE(at + 1)
  const headEpoch = buf.readDoubleBE(at + 9)
  // (a journal trimmed whole holds no record to check its head's epoch by)
  const last = records.at(-1)
  if (head !== floor - 1 + records.length || head !== expected.head || headEpoch !== expected.headEpoch || (last === undefined ? floor === 1 && headEpoch !== 0 : last.epoch !== headEpoch)) {
    fail(`it ends at seq ${head} epoch ${headEpoch} with ${records.length} records from ${floor}; the manifest says seq ${expected.head} epoch ${expected.headEpoch}`)
  }
  const named = expected.last
  if (named !== undefined && (named.offset !== lastAt || named.length !== recordsEnd - lastAt ||
    records.length < 2 || (records.at(-2) as StoredRecord).epoch !== named.prevEpoch)) {
    fail(`its last record is not where and as the manifest says (at ${named.offset}, ${named.length} bytes, after a record of epoch ${named.prevEpoch})`)
  }
  return { entity, head, headEpoch, records, ...(trimmed !== undefined && { trimmed }), ...(latest !== undefined && { latest }) }
}

/** One record frame's body: a record as the store kept it ('V': its epoch read now, its event when
 * asked for, or now unless `lazy`), or [seq, epoch, event, rev?, revEpoch?] as older backups wrote
 * it ('R': with `lazy`, the two integers read now and the event when asked for; a restore of a room
 * that got a few posts since reads the epochs of all its records and the events of a few). */
function decodeRecord (stored: boolean, body: Buffer, seq: number, lazy: boolean, fail: (why: string) => never): StoredRecord {
  if (stored) {
    const record = sealedRecord(seq, body)
    if (record === undefined) return fail(`record ${seq} is not a sealed record`)
    if (!lazy) {
      try {
        void record.event
      } catch {
        fail(`record ${seq} does not decode`)
      }
    }
    return record
  }
  const deferred = lazy ? lazyRecord(body) : undefined
  if (deferred !== undefined) {
    if (deferred.seq !== seq) fail(`record ${seq} is not [seq, epoch, event] in order`)
    return deferred
  }
  let value: unknown[] = []
  try {
    value = codec.decode(body) as unknown[]
  } catch {
    fail(`record ${seq} does not decode`)
  }
  if (!Array.isArray(value) || value.length < 3 || value.length > 5 || value[0] !== seq || !Number.isSafeInteger(value[1]) || (value[1] as number) < 0 ||
    value.slice(3).some((x) => !Number.isSafeInteger(x) || (x as number) < 1)) {
    fail(`record ${seq} is not [seq, epoch, event, rev?, revEpoch?] in order`)
  }
  const [, epoch, event, rev, revEpoch] = value as [number, number, unknown, number?, number?]
  return { seq, epoch, event, ...(rev !== undefined && { rev }), ...(revEpoch !== undefined && { revEpoch }) }
}

/**
 * The block's last record alone (EntityBlock.last), from the bytes of its frame: a record as the
 * store kept it, seq `expected.head`, of the head's epoch; BackupFormatError otherwise.
 */
export function decodeLast (bytes: Uint8Array, expected: EntityBlock): SealedRecord {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const fail = (why: string): never => { throw new BackupFormatError(`${expected.entity}'s last record: ${why}`) }
  if (expected.last === undefined) return fail('the manifest names none')
  if (buf.byteLength !== expected.last.length || buf.byteLength < 5 || buf[0] !== STORED || buf.readUInt32BE(1) !== buf.byteLength - 5) fail('not a record frame as the store keeps records')
  const record = sealedRecord(expected.head, buf.subarray(5))
  if (record === undefined) return fail('not a sealed record')
  if (record.epoch !== expected.headEpoch) fail(`of epoch ${record.epoch}, the manifest says ${expected.headEpoch}`)
  try {
    void record.event
  } catch {
    fail('it does not decode')
  }
  return record
}

/**
 * A block's 'P' frame (`bytes` holds exactly the frame: where the manifest's block.snapshot says),
 * checked against the manifest: [seq, state] with seq the manifest's, at most the head. Anything
 * else is BackupFormatError.
 */
export function decodeLatest (bytes: Uint8Array, expected: EntityBlock): StoredSnapshot {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const fail = (why: string): never => { throw new BackupFormatError(`${expected.entity}'s snapshot: ${why}`) }
  if (expected.snapshot === undefined) fail('the manifest says its block holds none')
  if (buf.byteLength < 6 || buf[0] !== LATEST || buf.readUInt32BE(1) !== buf.byteLength - 5 || buf.byteLength !== expected.snapshot?.length) fail('it is not a snapshot frame of the length the manifest says')
  let value: unknown
  try {
    value = codec.decode(buf.subarray(5))
  } catch {
    fail('it does not decode')
  }
  const [seq, state] = Array.isArray(value) && value.length === 2 ? value as [unknown, unknown] : [undefined, undefined]
  if (!Number.isSafeInteger(seq) || (seq as number) < 1 || seq !== expected.snapshot?.seq || (seq as number) > expected.head) fail(`it is not [seq, state] at seq ${expected.snapshot?.seq} (the manifest's), at most the head ${expected.head}`)
  return { seq: seq as number, state }
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

