import {
  CHUNK_SIZE_CEILING, CHUNK_SIZE_FLOOR, DEFAULT_AVG_CHUNK_BYTES, GEAR_SEED, NORMALIZATION_LEVEL
} from './constants.ts'
import { InvalidBackupInputError } from './errors.ts'
import { valueShape } from './value-shape.ts'

export interface ChunkerOptions {
  /** No chunk but a stream's last is smaller. @default avgSize / 4 */
  minSize?: number
  /** The size the cut masks aim at; a power of two. @default 256 KiB */
  avgSize?: number
  /** A chunk is cut here when no cut point came before. @default avgSize * 4 */
  maxSize?: number
}

const OPTION_NAMES: readonly string[] = ['minSize', 'avgSize', 'maxSize']

/**
 * The gear table: 256 fixed pseudo-random 32-bit values, one per byte value, from mulberry32
 * seeded with GEAR_SEED. Generated rather than pasted, but the same on every machine and every
 * run: boundaries, and so dedup, depend on it. Never written after this.
 */
const GEAR: Int32Array = (() => {
  let state = GEAR_SEED
  const table = new Int32Array(256)
  for (let i = 0; i < 256; i++) {
    state = (state + 0x6d2b79f5) | 0
    let t = Math.imul(state ^ (state >>> 15), 1 | state)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    table[i] = t ^ (t >>> 14)
  }
  return table
})()

/**
 * Content-defined chunking (FastCDC, Xia et al., USENIX ATC 2016, with normalized chunking): a
 * boundary falls where a gear rolling hash of the last 32 bytes has its top bits zero, so it moves
 * with the content. An insertion or a deletion changes the chunks around it and no others: the
 * next backup of a changed file sends only those.
 *
 * Streaming: `push()` takes the data in pieces of any size and returns the chunks completed;
 * `flush()` ends the stream with the rest. The boundaries are the same however the data is split
 * (the hash and the chunk's offset carry over between pushes). Chunks returned are copies, the
 * caller's to keep; the chunker holds at most one chunk (maxSize bytes) between pushes.
 */
export class Chunker {
  readonly minSize: number
  readonly avgSize: number
  readonly maxSize: number
  /** Stricter mask before avgSize, looser after (normalized chunking): both top-bit masks. */
  readonly #maskSmall: number
  readonly #maskLarge: number
  /** The start of the chunk under way, from earlier pushes (allocated on first use). */
  #buffer: Uint8Array | undefined
  #held = 0
  #hash = 0

  constructor (options: ChunkerOptions = {}) {
    if (options === null || typeof options !== 'object' || Array.isArray(options)) {
      throw new InvalidBackupInputError(`chunker options are an object { minSize?, avgSize?, maxSize? }, got ${valueShape(options)}`)
    }
    for (const name of Object.keys(options)) {
      if (!OPTION_NAMES.includes(name)) throw new InvalidBackupInputError(`unknown chunker option ${JSON.stringify(name).slice(0, 40)} (expected minSize, avgSize or maxSize)`)
    }
    const avg = size(options, 'avgSize', DEFAULT_AVG_CHUNK_BYTES)
    if ((avg & (avg - 1)) !== 0 || avg > CHUNK_SIZE_CEILING) {
      throw new InvalidBackupInputError(`chunker avgSize must be a power of two (its cut mask is a number of bits) below ${CHUNK_SIZE_CEILING}, got ${avg}`)
    }
    const min = size(options, 'minSize', avg / 4)
    const max = size(options, 'maxSize', avg * 4)
    const derived = (name: keyof ChunkerOptions): string => options[name] === undefined ? ` (the default for avgSize ${avg})` : ''
    if (min < CHUNK_SIZE_FLOOR) throw new InvalidBackupInputError(`chunker minSize must be at least ${CHUNK_SIZE_FLOOR} bytes, got ${min}${derived('minSize')}`)
    if (max > CHUNK_SIZE_CEILING) throw new InvalidBackupInputError(`chunker maxSize must be at most ${CHUNK_SIZE_CEILING} bytes, got ${max}${derived('maxSize')}`)
    if (!(min < avg && avg < max)) throw new InvalidBackupInputError(`chunker sizes must be minSize < avgSize < maxSize, got ${min} < ${avg} < ${max}`)
    this.minSize = min
    this.avgSize = avg
    this.maxSize = max
    const bits = 31 - Math.clz32(avg)
    this.#maskSmall = topBits(bits + NORMALIZATION_LEVEL)
    this.#maskLarge = topBits(bits - NORMALIZATION_LEVEL)
  }

  /** The next piece of the stream; the chunks it completed (maybe none), in order. */
  push (data: Uint8Array): Uint8Array[] {
    if (!(data instanceof Uint8Array)) throw new InvalidBackupInputError(`Chunker.push takes a Uint8Array, got ${valueShape(data)}`)
    const out: Uint8Array[] = []
    const gear = GEAR
    const min = this.minSize
    const avg = this.avgSize
    const max = this.maxSize
    const maskSmall = this.#maskSmall
    const maskLarge = this.#maskLarge
    const end = data.byteLength
    let held = this.#held
    let h = this.#hash
    /** Where the chunk under way begins in `data` (its first `held` bytes are in #buffer). */
    let start = 0
    let i = 0
    while (i < end) {
      // the offset of data[i] in its chunk decides the phase: skip, strict mask, loose mask
      let offset = held + i - start
      let cut = -1
      if (offset < min) {
        // FastCDC does not hash below minSize: no cut can fall there
        i += Math.min(min - offset, end - i)
        offset = held + i - start
      }
      if (offset >= min && offset < avg) {
        const stop = Math.min(end, i + avg - offset)
        for (; i < stop; i++) {
          h = ((h << 1) + gear[data[i]]) | 0
          if ((h & maskSmall) === 0) { cut = ++i; break }
        }
        offset = held + i - start
      }
      if (cut < 0 && offset >= avg) {
        const stop = Math.min(end, i + max - offset)
        for (; i < stop; i++) {
          h = ((h << 1) + gear[data[i]]) | 0
          if ((h & maskLarge) === 0) { cut = ++i; break }
        }
        if (cut < 0 && held + i - start === max) cut = i
      }
      if (cut < 0) break
      if (held === 0) {
        // a copy (Buffer's slice would be a view of the caller's bytes)
        out.push(new Uint8Array(data.subarray(start, cut)))
      } else {
        const buffer = this.#buffer as Uint8Array
        buffer.set(data.subarray(start, cut), held)
        out.push(buffer.slice(0, held + cut - start))
      }
      held = 0
      h = 0
      start = cut
    }
    if (start < end) {
      this.#buffer ??= new Uint8Array(max)
      this.#buffer.set(data.subarray(start), held)
      held += end - start
    }
    this.#held = held
    this.#hash = h
    return out
  }

  /** Ends the stream: the last chunk (any size up to maxSize), or undefined when nothing is left.
   * The chunker is then ready for another stream. */
  flush (): Uint8Array | undefined {
    const held = this.#held
    this.#held = 0
    this.#hash = 0
    if (held === 0) return undefined
    return (this.#buffer as Uint8Array).slice(0, held)
  }
}

/** All the chunks of `data`, in order (concatenated, they are `data`). */
export function chunkAll (data: Uint8Array, options?: ChunkerOptions): Uint8Array[] {
  const chunker = new Chunker(options)
  const chunks = chunker.push(data)
  const last = chunker.flush()
  if (last !== undefined) chunks.push(last)
  return chunks
}

function size (options: ChunkerOptions, name: keyof ChunkerOptions, fallback: number): number {
  const value = options[name] ?? fallback
  if (!Number.isSafeInteger(value) || value < 1) throw new InvalidBackupInputError(`chunker ${name} must be a whole number of bytes, got ${valueShape(value)}`)
  return value
}

/** A 32-bit mask of the top `bits` bits: those depend on the most bytes of the gear hash. */
function topBits (bits: number): number {
  return (0xffffffff << (32 - bits)) | 0
}
