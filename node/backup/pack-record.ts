import { createHash } from 'node:crypto'
import { CHUNK_OVERHEAD_BYTES, CHUNK_SIZE_CEILING, PACK_RECORD_HEADER_BYTES, PACK_RECORD_MAGIC, PACK_RECORD_PUT, PACK_RECORD_REMOVE } from './constants.ts'

// Record header: [magic 4][kind 1][id 32][digest 32][length u32 BE][checksum 4], then `length` bytes.
const KIND_AT = 4
const ID_AT = 5
const DIGEST_AT = 37
const LENGTH_AT = 69
const CHECKSUM_AT = 73
const MAGIC = Buffer.from(PACK_RECORD_MAGIC, 'latin1')

/** The digest field of a remove record (it has no body). */
export const ZERO_DIGEST = '0'.repeat(64)
/** The largest sealed chunk a put record holds. */
export const MAX_SEALED_BYTES = CHUNK_SIZE_CEILING + CHUNK_OVERHEAD_BYTES

/** A pack record's header: a sealed chunk (`put`, `length` bytes of body follow) or a tombstone. */
export interface RecordHeader {
  readonly kind: typeof PACK_RECORD_PUT | typeof PACK_RECORD_REMOVE
  readonly id: string
  readonly digest: string
  readonly length: number
}

/** A record header found in a pack, at `offset`. */
export interface ScannedRecord extends RecordHeader {
  readonly offset: number
}

/** A record to append: header fields and, for a put, the body. */
export interface RecordToAppend {
  readonly kind: typeof PACK_RECORD_PUT | typeof PACK_RECORD_REMOVE
  readonly id: string
  readonly digest: string
  readonly body: Uint8Array | undefined
}

/** Writes a record header into `out` (PACK_RECORD_HEADER_BYTES long), its checksum last. */
export function writeRecordHeader (out: Buffer, kind: number, id: string, digest: string, length: number): void {
  MAGIC.copy(out, 0)
  out[KIND_AT] = kind
  out.write(id, ID_AT, 32, 'hex')
  out.write(digest, DIGEST_AT, 32, 'hex')
  out.writeUInt32BE(length, LENGTH_AT)
  sha256(out.subarray(0, CHECKSUM_AT)).copy(out, CHECKSUM_AT, 0, 4)
}

/** The record header at `at` of `buf`, or why it is not one. */
export function readRecordHeader (buf: Buffer, at: number): RecordHeader | string {
  if (!buf.subarray(at, at + MAGIC.byteLength).equals(MAGIC)) return 'no record starts here (wrong magic)'
  const checksum = sha256(buf.subarray(at, at + CHECKSUM_AT))
  if (!checksum.subarray(0, 4).equals(buf.subarray(at + CHECKSUM_AT, at + PACK_RECORD_HEADER_BYTES))) return 'a record header that does not match its checksum'
  const kind = buf[at + KIND_AT]
  const id = buf.toString('hex', at + ID_AT, at + DIGEST_AT)
  const digest = buf.toString('hex', at + DIGEST_AT, at + LENGTH_AT)
  const length = buf.readUInt32BE(at + LENGTH_AT)
  if (kind === PACK_RECORD_PUT) {
    if (length < CHUNK_OVERHEAD_BYTES || length > MAX_SEALED_BYTES) return `a chunk of ${length} bytes, which no put stores`
    return { kind, id, digest, length }
  }
  if (kind === PACK_RECORD_REMOVE) {
    if (length !== 0 || digest !== ZERO_DIGEST) return 'a remove record with a body or a digest'
    return { kind, id, digest, length }
  }
  return `a record of unknown kind ${kind}`
}

/** SHA-256 of `bytes` (a record's body is checked against it; its header's checksum is its first 4 bytes). */
export function sha256 (bytes: Uint8Array): Buffer {
  return createHash('sha256').update(bytes).digest()
}
