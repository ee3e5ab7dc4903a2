import { recordKey } from '../replication/light.ts'
import { CorruptRecordError, sealIntact } from '../storage/light.ts'
import { BackupFormatError } from './errors.ts'

const ENTITY = 0x45
const RECORD = 0x52
const STORED = 0x56
const SNAPSHOT = 0x53
const LATEST = 0x50
const END = 0x5a
const EMPTY = Buffer.alloc(0)

/**
 * Checks, as one partition's backup stream goes by in pieces of any size, the seal of every record
 * it holds as stored ('V' frames: partition-stream.ts) against the key it was stored under (the
 * partition, the block's entity, its seq). A backup copies its own replica's records as they are,
 * unverified on its reading thread; this, on the chunk worker, keeps a record that rotted in the
 * store since scrub last read it from going into a backup, where it would outlive every good copy.
 * `push` throws CorruptRecordError (its key) at the first record whose seal does not match.
 */
export class StoredStreamCheck {
  readonly #partition: number
  #carry: Buffer = EMPTY
  #entity: string | undefined
  #seq = 1
  /** Records checked so far. */
  checked = 0

  constructor (partition: number) {
    this.#partition = partition
  }

  push (bytes: Uint8Array): void {
    const piece = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    const buf = this.#carry.byteLength === 0 ? piece : Buffer.concat([this.#carry, piece])
    let at = 0
    while (at < buf.byteLength) {
      const type = buf[at] as number
      const head = type === ENTITY ? 3 : type === END ? 17 : 5
      if (at + head > buf.byteLength) break
      const length = type === ENTITY ? buf.readUInt16BE(at + 1) : type === END ? 0 : buf.readUInt32BE(at + 1)
      if (at + head + length > buf.byteLength) break
      this.#frame(type, buf.subarray(at + head, at + head + length))
      at += head + length
    }
    // what is left is the start of a frame the next piece ends (a copy: the piece goes on)
    this.#carry = at === buf.byteLength ? EMPTY : Buffer.from(buf.subarray(at))
  }

  #frame (type: number, body: Buffer): void {
    switch (type) {
      case ENTITY:
        this.#entity = body.toString('utf8')
        this.#seq = 1
        return
      case SNAPSHOT:
        // [floor, seq, state]: the records start at the floor
        this.#seq = body[0] === 0x93 ? (readUint(body, 1) ?? 1) : 1
        return
      case STORED: {
        const key = recordKey(this.#partition, this.#entity ?? '', this.#seq)
        if (!sealIntact(key, body)) throw new CorruptRecordError(key, 'its seal does not match its content (read as stored, for a backup)')
        this.#seq++
        this.checked++
        return
      }
      case RECORD:
        this.#seq++
        return
      case LATEST:
        // the replica's snapshot, after the records (block-decode.ts): no record to check
        return
      case END:
        this.#entity = undefined
        return
      default:
        throw new BackupFormatError(`a partition stream holds a frame of unknown type ${type}`)
    }
  }
}

/** A msgpack unsigned integer at `at` (fixint, uint 8, 16 or 32). */
function readUint (buf: Buffer, at: number): number | undefined {
  const tag = buf[at]
  if (tag === undefined) return undefined
  if (tag <= 0x7f) return tag
  if (tag === 0xcc && at + 2 <= buf.byteLength) return buf[at + 1]
  if (tag === 0xcd && at + 3 <= buf.byteLength) return buf.readUInt16BE(at + 1)
  if (tag === 0xce && at + 5 <= buf.byteLength) return buf.readUInt32BE(at + 1)
  return undefined
}
