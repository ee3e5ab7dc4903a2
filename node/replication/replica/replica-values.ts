import { createPlainCodec } from '../../../actors/index.ts'
import type { PlainCodec } from '../../../actors/index.ts'
import { CorruptRecordError, SEAL_HEADER_BYTES, SEAL_SHA256 } from '../../storage/index.ts'
import type { ReplicaState } from './replica-storage.ts'
import type { StoredRecord, StoredSnapshot } from './replica-protocol.ts'

/**
 * A replica's values as the store keeps them (replica-keys.ts): a record `{ e: epoch, v: event }`,
 * a replica state, a snapshot `{ seq, state }`, encoded by the node's codec. A value that passed
 * its seal but does not decode to what its key says is damaged all the same (CorruptRecordError).
 */
export class ReplicaValues {
  readonly #codec: PlainCodec = createPlainCodec()

  encode (value: unknown): Uint8Array {
    return this.#codec.encode(value)
  }

  encodeRecord (r: StoredRecord): Uint8Array {
    // (a record never rewritten keeps the shape it always had: its digest is the same as before)
    if (r.rev === undefined || r.rev === 0) return this.#codec.encode({ e: r.epoch, v: r.event })
    return this.#codec.encode(r.revEpoch === undefined || r.revEpoch === r.epoch ? { e: r.epoch, v: r.event, r: r.rev } : { e: r.epoch, v: r.event, r: r.rev, q: r.revEpoch })
  }

  encodeState (state: ReplicaState): Uint8Array {
    const s = state.summary
    const value = { promised: s.promised, promisedBy: state.promisedBy, head: s.head, headEpoch: s.headEpoch, segments: s.segments, snapshotSeq: s.snapshotSeq }
    return this.#codec.encode({ ...value, ...(s.floor !== undefined && s.floor > 1 && { floor: s.floor }), ...(s.revised !== undefined && s.revised > 0 && { revised: s.revised }), ...(s.rewrites !== undefined && s.rewrites > 0 && { rewrites: s.rewrites }) })
  }

  /** Any value decoded (CorruptRecordError: sealed but not decodable). */
  decode (key: string, value: Uint8Array): unknown {
    try {
      return this.#codec.decode(value)
    } catch (err) {
      throw new CorruptRecordError(key, `sealed but not decodable: ${(err as Error).message}`)
    }
  }

  /** A record's epoch, event and revision (absent: 0); undefined when the value decodes to something
   * that is not one. */
  recordOrUndefined (key: string, value: Uint8Array): { epoch: number, event: unknown, rev?: number, revEpoch?: number } | undefined {
    const r = this.decode(key, value) as { e?: unknown, v?: unknown, r?: unknown, q?: unknown } | null
    if (r === null || typeof r !== 'object' || typeof r.e !== 'number') return undefined
    if (r.r === undefined) return { epoch: r.e, event: r.v }
    if (!Number.isSafeInteger(r.r) || (r.r as number) < 0) return undefined
    if (r.q === undefined) return { epoch: r.e, event: r.v, rev: r.r as number }
    if (!Number.isSafeInteger(r.q) || (r.q as number) < 0) return undefined
    return { epoch: r.e, event: r.v, rev: r.r as number, revEpoch: r.q as number }
  }

  /** A record's epoch, event and revision (CorruptRecordError when it is not one). */
  record (key: string, value: Uint8Array): { epoch: number, event: unknown, rev?: number, revEpoch?: number } {
    const r = this.recordOrUndefined(key, value)
    if (r === undefined) throw new CorruptRecordError(key, 'sealed but not a record')
    return r
  }

  state (key: string, value: Uint8Array): ReplicaState {
    const s = this.decode(key, value) as Partial<{ promised: number, promisedBy: string, head: number, headEpoch: number, segments: Array<[number, number]>, snapshotSeq: number, floor: number, revised: number, rewrites: number }>
    if (typeof s?.promised !== 'number' || typeof s.head !== 'number' || !Array.isArray(s.segments)) throw new CorruptRecordError(key, 'sealed but not a replica state')
    const summary = { promised: s.promised, head: s.head, headEpoch: s.headEpoch ?? 0, segments: s.segments, snapshotSeq: s.snapshotSeq ?? 0 }
    return {
      summary: { ...summary, ...(typeof s.floor === 'number' && s.floor > 1 && { floor: s.floor }), ...(typeof s.revised === 'number' && s.revised > 0 && { revised: s.revised }), ...(typeof s.rewrites === 'number' && s.rewrites > 0 && { rewrites: s.rewrites }) },
      promisedBy: s.promisedBy ?? ''
    }
  }

  snapshot (key: string, value: Uint8Array): StoredSnapshot {
    const s = this.decode(key, value) as Partial<StoredSnapshot> | null
    if (s === null || typeof s !== 'object' || !Number.isSafeInteger(s.seq) || (s.seq as number) < 1) throw new CorruptRecordError(key, 'sealed but not a snapshot')
    return { seq: s.seq as number, state: s.state }
  }
}

const storedCodec = createPlainCodec()

/**
 * The epoch of a record as the store keeps it, seal and all (`[seal id][SHA-256][{ e, v, … }]`),
 * read from its first bytes without decoding the event; undefined when the value does not start
 * as one (no seal, or not a map whose first key is `e` holding an unsigned integer).
 */
export function storedRecordEpoch (value: Uint8Array): number | undefined {
  const tag = value[SEAL_HEADER_BYTES]
  // a map of 2-4 entries: fixmap, or map16 (how msgpackr writes an object)
  let at: number
  if (tag !== undefined && tag >= 0x82 && tag <= 0x84) at = SEAL_HEADER_BYTES + 1
  else if (tag === 0xde && value[SEAL_HEADER_BYTES + 1] === 0 && (value[SEAL_HEADER_BYTES + 2] ?? 0) >= 2 && (value[SEAL_HEADER_BYTES + 2] ?? 0) <= 4) at = SEAL_HEADER_BYTES + 3
  else return undefined
  if (value[at] !== 0xa1 || value[at + 1] !== 0x65) return undefined
  at += 2
  const n = value[at]
  if (n === undefined) return undefined
  if (n <= 0x7f) return n
  const view = new DataView(value.buffer, value.byteOffset, value.byteLength)
  if (n === 0xcc && at + 2 <= value.byteLength) return value[at + 1]
  if (n === 0xcd && at + 3 <= value.byteLength) return view.getUint16(at + 1)
  if (n === 0xce && at + 5 <= value.byteLength) return view.getUint32(at + 1)
  if (n === 0xcf && at + 9 <= value.byteLength) {
    const big = Number(view.getBigUint64(at + 1))
    return Number.isSafeInteger(big) ? big : undefined
  }
  // (msgpackr writes a whole number past 32 bits as a float64)
  if (n === 0xcb && at + 9 <= value.byteLength) {
    const f = view.getFloat64(at + 1)
    return Number.isSafeInteger(f) && f >= 0 ? f : undefined
  }
  return undefined
}

/**
 * A record carried as the store keeps it (`sealed`: its stored value, seal included, under the
 * record key of the same partition, entity and seq): written back as it is (no encoding, no new
 * seal), its epoch read from its first bytes, its event (and revision) decoded only when asked
 * for. undefined when the value does not start as a sealed record.
 *
 * The event, rev and revEpoch are getters of its class (a restore makes one per record on each
 * replica: no closure each): code that copies records field by field (`{ seq, epoch, event }`)
 * gets them; a spread or an encoding of the whole object would not, and is not done with these.
 */
export function sealedRecord (seq: number, value: Uint8Array): (StoredRecord & { readonly sealed: Uint8Array }) | undefined {
  const epoch = storedRecordEpoch(value)
  if (epoch === undefined || value[0] !== SEAL_SHA256) return undefined
  return new SealedRecord(seq, epoch, value)
}

class SealedRecord implements StoredRecord {
  readonly seq: number
  readonly epoch: number
  readonly sealed: Uint8Array
  #decoded: { v?: unknown, r?: number, q?: number } | undefined

  constructor (seq: number, epoch: number, sealed: Uint8Array) {
    this.seq = seq
    this.epoch = epoch
    this.sealed = sealed
  }

  get event (): unknown { return this.#open().v }
  get rev (): number | undefined { return this.#open().r }
  get revEpoch (): number | undefined { return this.#open().q }

  #open (): { v?: unknown, r?: number, q?: number } {
    if (this.#decoded !== undefined) return this.#decoded
    try {
      this.#decoded = storedCodec.decode(this.sealed.subarray(SEAL_HEADER_BYTES)) as { v?: unknown, r?: number, q?: number }
    } catch (err) {
      throw new CorruptRecordError(`seq ${this.seq}`, `sealed but not decodable: ${(err as Error).message}`)
    }
    return this.#decoded
  }
}

/** Stored values framed one after another, each as a u32 (big-endian) length and its bytes: how an
 * `append-sealed` carries them (one buffer on the wire, not an object per record). */
export function frameStored (values: readonly Uint8Array[]): Buffer {
  let bytes = 0
  for (const v of values) bytes += 4 + v.byteLength
  const out = Buffer.allocUnsafe(bytes)
  let at = 0
  for (const v of values) {
    out.writeUInt32BE(v.byteLength, at)
    out.set(v, at + 4)
    at += 4 + v.byteLength
  }
  return out
}

/** The values of frameStored's bytes (views into them); undefined when they do not frame exactly. */
export function unframeStored (bytes: Uint8Array): Uint8Array[] | undefined {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const out: Uint8Array[] = []
  let at = 0
  while (at < bytes.byteLength) {
    if (at + 4 > bytes.byteLength) return undefined
    const length = view.getUint32(at)
    if (at + 4 + length > bytes.byteLength) return undefined
    out.push(bytes.subarray(at + 4, at + 4 + length))
    at += 4 + length
  }
  return out
}
