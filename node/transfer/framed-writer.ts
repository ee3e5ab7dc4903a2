import { PACKED_CHUNK_BYTES } from './constants.ts'
import { packedRoomLine } from './packed-json.ts'

/** A record as this node's store keeps it (its value's seal verified and taken off). */
export interface PackedRecordLike {
  readonly seq: number
  readonly key: string
  readonly value: Uint8Array
}

/** Records' JSON lines as UTF-8 bytes, framed for `framing` (`,\n` before each in json, `\n` after
 * each in ndjson): what a room's JSON export made from this node's store carries (exportChunks
 * writes them as they are). */
export interface FramedLines {
  readonly framing: 'json' | 'ndjson'
  readonly count: number
  readonly chunks: readonly Buffer[]
}

const COMMA = 0x2c
const NEWLINE = 0x0a

/**
 * A page of a room's JSON export as UTF-8 bytes, framed for its format (`,\n` before each record in
 * json, `\n` after each in ndjson), written into Buffers of PACKED_CHUNK_BYTES as records come: each
 * from its stored bytes where packed-json.ts makes it, or from its JSON line.
 */
export class FramedWriter {
  readonly #framing: 'json' | 'ndjson'
  readonly #chunks: Buffer[] = []
  #buf: Buffer
  #pos = 0
  /** Records written. */
  count = 0
  /** Bytes written. */
  bytes = 0

  constructor (framing: 'json' | 'ndjson') {
    this.#framing = framing
    this.#buf = Buffer.allocUnsafeSlow(PACKED_CHUNK_BYTES)
  }

  /** Writes a record's JSON from its stored bytes; false (nothing written) where packed-json.ts does
   * not make it. */
  packed (record: PackedRecordLike, redacted: boolean): boolean {
    const sep = this.#framing === 'json' ? 2 : 1
    let end = packedRoomLine(record.seq, record.value, redacted, this.#buf, this.#pos + (sep === 2 ? 2 : 0))
    if (end === -1 || (end !== undefined && sep === 1 && end >= this.#buf.length)) {
      // too little room left: a fresh buffer (a record that fits in none goes as its line)
      if (this.#pos === 0) return false
      this.#next(PACKED_CHUNK_BYTES)
      end = packedRoomLine(record.seq, record.value, redacted, this.#buf, sep === 2 ? 2 : 0)
      if (end === -1 || (end !== undefined && sep === 1 && end >= this.#buf.length)) return false
    }
    if (end === undefined) return false
    const start = this.#pos
    if (sep === 2) {
      this.#buf[start] = COMMA
      this.#buf[start + 1] = NEWLINE
      this.#pos = end
    } else {
      this.#buf[end] = NEWLINE
      this.#pos = end + 1
    }
    this.#wrote(this.#pos - start)
    return true
  }

  /** Writes a record's JSON line. */
  line (json: string): void {
    const framed = this.#framing === 'json' ? `,\n${json}` : `${json}\n`
    const length = Buffer.byteLength(framed)
    if (this.#pos + length > this.#buf.length) this.#next(Math.max(PACKED_CHUNK_BYTES, length))
    this.#pos += this.#buf.write(framed, this.#pos, 'utf8')
    this.#wrote(length)
  }

  /** The records written, as framed lines. */
  finish (): FramedLines {
    if (this.#pos > 0) this.#chunks.push(this.#buf.subarray(0, this.#pos))
    this.#pos = 0
    return { framing: this.#framing, count: this.count, chunks: this.#chunks }
  }

  #wrote (bytes: number): void {
    this.count++
    this.bytes += bytes
  }

  #next (size: number): void {
    if (this.#pos > 0) this.#chunks.push(this.#buf.subarray(0, this.#pos))
    this.#buf = Buffer.allocUnsafeSlow(size)
    this.#pos = 0
  }
}
