import { createPlainCodec } from '../../../actors/index.ts'
import { CorruptRecordError, SEAL_HEADER_BYTES, SEAL_SHA256 } from '../../storage/index.ts'

/**
 * Records as the store keeps them, seals and all (`[seal id][SHA-256(key ‖ payload)][msgpack
 * { e, v, … }]`: replica-keys.ts, replica-values.ts), carried without being decoded: a backup
 * copies them into its stream, and a restore writes them back as they are (append-sealed).
 */
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
export function sealedRecord (seq: number, value: Uint8Array): SealedRecord | undefined {
  const epoch = storedRecordEpoch(value)
  if (epoch === undefined || value[0] !== SEAL_SHA256) return undefined
  return new SealedRecord(seq, epoch, value)
}

export class SealedRecord {
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

/** The records framed in `values` (frameStored), seq `prevSeq + 1` on; undefined unless every
 * frame is a sealed record. */
export function sealedRecords (prevSeq: number, values: Uint8Array): SealedRecord[] | undefined {
  const frames = unframeStored(values)
  if (frames === undefined || frames.length === 0) return undefined
  const out: SealedRecord[] = []
  for (const [i, value] of frames.entries()) {
    const r = sealedRecord(prevSeq + 1 + i, value)
    if (r === undefined) return undefined
    out.push(r)
  }
  return out
}
