import { Packr } from 'msgpackr'
import { ENVELOPE, LIMITS, MAX_ENVELOPES_PER_FRAME, MAX_FRAME_BYTES, MAX_HOPS } from './constants.ts'
import { isErrorData } from '../errors.ts'
import type { ErrorData } from '../errors.ts'
import type { TraceField } from '../trace-context.ts'

/** An error as it crosses the wire: protocols/errors.ts ErrorData (name, message, kind, fields). */
export type WireError = ErrorData

/** ENTITY and ACTOR envelopes may end with a trace field (on `/plexi/actor/1.1.0`): checked for
 * its shape only when it is read (carrierOfField), and ignored when malformed. */
export type Envelope =
  | readonly [typeof ENVELOPE.ENTITY, string, string, unknown, number, string]
  | readonly [typeof ENVELOPE.ENTITY, string, string, unknown, number, string, TraceField | undefined]
  | readonly [typeof ENVELOPE.ACTOR, string, unknown]
  | readonly [typeof ENVELOPE.ACTOR, string, unknown, TraceField | undefined]
  | readonly [typeof ENVELOPE.REPLY, string, unknown]
  | readonly [typeof ENVELOPE.FAILURE, string, WireError]
  | readonly [typeof ENVELOPE.OWNER, string, string, string]

/** A frame or envelope that breaks the protocol: the stream that sent it is closed. */
export class InvalidFrameError extends Error {
  override readonly name = 'InvalidFrameError'
  readonly kind = 'invalid'
}

const packr = new Packr({ useRecords: false, moreTypes: false })

/** Encodes one envelope (each is packed when it is queued, so its size is known at once). */
export function encodeEnvelope (envelope: Envelope): Uint8Array {
  return packr.pack(envelope)
}

/** A packed ENTITY or ACTOR envelope without its trace field (for a peer of an earlier version,
 * which refuses a frame holding one: `/plexi/actor/1.0.0`); any other is returned as it is. */
export function stripTraceField (packed: Uint8Array): Uint8Array {
  const e = packr.unpack(packed) as unknown[]
  if (e[0] === ENVELOPE.ENTITY && e.length === 7) return packr.pack(e.slice(0, 6))
  if (e[0] === ENVELOPE.ACTOR && e.length === 4) return packr.pack(e.slice(0, 3))
  return packed
}

/**
 * Joins packed envelopes into one length-prefixed frame: a varint byte length, then a msgpack
 * array holding the envelopes (an array header followed by the packed items is itself msgpack).
 */
export function encodeFrame (envelopes: readonly Uint8Array[]): Uint8Array {
  return encodeFrames(envelopes, [envelopes.length])
}

/**
 * Several frames back to back in one buffer, for one write to the stream: the i-th frame holds
 * the next `counts[i]` envelopes. (Each write costs a muxer frame, a noise message, a window
 * update from the peer and a syscall, whatever its size: one write per frame made those the
 * largest cost of the transport.)
 */
export function encodeFrames (envelopes: readonly Uint8Array[], counts: readonly number[]): Uint8Array {
  let total = 0
  let next = 0
  for (const n of counts) {
    let body = arrayHeaderLength(n)
    for (let i = next; i < next + n; i++) body += (envelopes[i] as Uint8Array).byteLength
    next += n
    total += varintLength(body) + body
  }
  const out = new Uint8Array(total)
  let at = 0
  next = 0
  for (const n of counts) {
    let body = arrayHeaderLength(n)
    for (let i = next; i < next + n; i++) body += (envelopes[i] as Uint8Array).byteLength
    at = writeVarint(out, at, body)
    at = writeArrayHeader(out, at, n)
    for (let i = next; i < next + n; i++) {
      const e = envelopes[i] as Uint8Array
      out.set(e, at)
      at += e.byteLength
    }
    next += n
  }
  return out
}

function arrayHeaderLength (n: number): number {
  return n < 16 ? 1 : n < 65_536 ? 3 : 5
}

function writeArrayHeader (out: Uint8Array, at: number, n: number): number {
  if (n < 16) {
    out[at++] = 0x90 | n
  } else if (n < 65_536) {
    out[at++] = 0xdc
    out[at++] = n >>> 8
    out[at++] = n & 0xff
  } else {
    out[at++] = 0xdd
    new DataView(out.buffer, out.byteOffset).setUint32(at, n)
    at += 4
  }
  return at
}

/** Decodes a frame's body (the length prefix already removed) and checks every envelope. */
export function decodeFrame (body: Uint8Array): Envelope[] {
  if (body.byteLength > MAX_FRAME_BYTES) throw new InvalidFrameError(`frame of ${body.byteLength} bytes is over ${MAX_FRAME_BYTES}`)
  let value: unknown
  try {
    value = packr.unpack(body)
  } catch (err) {
    throw new InvalidFrameError(`frame is not msgpack: ${(err as Error).message}`)
  }
  if (!Array.isArray(value)) throw new InvalidFrameError('frame is not an array of envelopes')
  if (value.length > MAX_ENVELOPES_PER_FRAME) throw new InvalidFrameError(`frame holds ${value.length} envelopes, over ${MAX_ENVELOPES_PER_FRAME}`)
  for (let i = 0; i < value.length; i++) checkEnvelope(value[i], i)
  return value as Envelope[]
}

function checkEnvelope (e: unknown, i: number): void {
  const bad = (why: string): never => { throw new InvalidFrameError(`envelope ${i}: ${why}`) }
  if (!Array.isArray(e) || e.length === 0) return bad('not an array')
  switch (e[0]) {
    case ENVELOPE.ENTITY:
      if (e.length !== 6 && e.length !== 7) bad('entity envelope needs 6 fields (7 with a trace)')
      if (e.length === 7) e[6] = boundedTrace(e[6])
      if (!str(e[1], LIMITS.type) || !str(e[2], LIMITS.key)) bad('entity type or key')
      if (!Number.isInteger(e[4]) || e[4] < 0 || e[4] > MAX_HOPS) bad(`hops must be 0-${MAX_HOPS}`)
      if (!str(e[5], LIMITS.peerId) || (e[4] > 0 && e[5].length === 0)) bad('origin')
      return
    case ENVELOPE.ACTOR:
      if ((e.length !== 3 && e.length !== 4) || !str(e[1], LIMITS.path) || !e[1].startsWith('/')) bad('actor envelope needs [2, path, msg, trace?]')
      if (e.length === 4) e[3] = boundedTrace(e[3])
      // every actor's messages are maps with a type: null, a number or a list would reach an actor
      // that reads msg.type (a TypeError, a crash and a restart) before any check of its own
      if (!isMap(e[2])) bad('an actor message is a map')
      return
    case ENVELOPE.REPLY:
      if (e.length !== 3 || !str(e[1], LIMITS.askId)) bad('reply envelope needs [3, askId, value]')
      return
    case ENVELOPE.FAILURE:
      // a peer of an earlier version sends no kind: the failure is then internal (500, INTERNAL)
      if (e.length === 3 && typeof e[2] === 'object' && e[2] !== null && !Array.isArray(e[2]) && e[2].kind === undefined) e[2] = { ...e[2], kind: 'internal' }
      if (e.length !== 3 || !str(e[1], LIMITS.askId) || !isErrorData(e[2])) bad('failure envelope needs [4, askId, { name, message, kind, fields? }]')
      return
    case ENVELOPE.OWNER:
      if (e.length !== 4 || !str(e[1], LIMITS.type) || !str(e[2], LIMITS.key) || !str(e[3], LIMITS.peerId)) bad('owner envelope needs [5, type, key, owner]')
      return
    default:
      bad(`unknown kind ${JSON.stringify(e[0])}`)
  }
}

/** A trace field as the receiver keeps it: a string or a pair of strings within LIMITS.trace
 * characters, or undefined (anything else: ignored, the envelope is delivered without it, since a
 * trace is never a reason to refuse a message; carrierOfField checks the W3C shape). */
function boundedTrace (v: unknown): TraceField | undefined {
  if (typeof v === 'string') return v.length <= LIMITS.trace ? v : undefined
  if (Array.isArray(v) && v.length === 2 && str(v[0], LIMITS.trace) && str(v[1], LIMITS.trace)) return v as unknown as TraceField
  return undefined
}

function isMap (v: unknown): boolean {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array)
}

function str (v: unknown, max: number): v is string {
  return typeof v === 'string' && v.length <= max
}

function varintLength (n: number): number {
  let len = 1
  while (n >= 0x80) {
    n = Math.floor(n / 128)
    len++
  }
  return len
}

function writeVarint (out: Uint8Array, at: number, n: number): number {
  while (n >= 0x80) {
    out[at++] = (n & 0x7f) | 0x80
    n = Math.floor(n / 128)
  }
  out[at++] = n
  return at
}

/**
 * Cuts a stream's chunks into frame bodies: a varint length, then that many bytes. A length over
 * MAX_FRAME_BYTES is refused as soon as it is read, before its bytes arrive. Chunks are kept as
 * they come and copied once per frame that spans several of them.
 */
export class FrameReader {
  /** Chunks not consumed yet: #chunks[#head] onwards (a head index, not shift(): a peer sending
   * tiny chunks must not make each frame cost the square of its chunk count). */
  #chunks: Uint8Array[] = []
  #head = 0
  #length = 0

  /** Calls `onFrame` with each complete frame body; throws InvalidFrameError on a bad length. */
  push (chunk: Uint8Array, onFrame: (body: Uint8Array) => void): void {
    if (chunk.byteLength === 0) return
    this.#chunks.push(chunk)
    this.#length += chunk.byteLength
    while (this.#length > 0) {
      const header = this.#header()
      if (header === undefined || this.#length < header.size + header.length) return
      const frame = this.#take(header.size + header.length)
      onFrame(frame.subarray(header.size))
    }
  }

  /** The length prefix at the front, or undefined while it is incomplete. */
  #header (): { size: number, length: number } | undefined {
    let length = 0
    let shift = 1
    let size = 0
    for (let c = this.#head; c < this.#chunks.length; c++) {
      const chunk = this.#chunks[c] as Uint8Array
      for (let i = 0; i < chunk.byteLength; i++) {
        const byte = chunk[i] as number
        length += (byte & 0x7f) * shift
        size++
        if (byte < 0x80) {
          if (length > MAX_FRAME_BYTES) throw new InvalidFrameError(`frame of ${length} bytes is over ${MAX_FRAME_BYTES}`)
          return { size, length }
        }
        shift *= 128
        if (size >= 4) throw new InvalidFrameError(`frame length prefix over 4 bytes (frames are at most ${MAX_FRAME_BYTES} bytes)`)
      }
    }
    return undefined
  }

  #take (n: number): Uint8Array {
    const first = this.#chunks[this.#head] as Uint8Array
    this.#length -= n
    let out: Uint8Array
    if (first.byteLength >= n) {
      out = first.subarray(0, n)
      if (first.byteLength === n) this.#head++
      else this.#chunks[this.#head] = first.subarray(n)
    } else {
      out = new Uint8Array(n)
      let at = 0
      while (at < n) {
        const chunk = this.#chunks[this.#head] as Uint8Array
        const part = Math.min(chunk.byteLength, n - at)
        out.set(part === chunk.byteLength ? chunk : chunk.subarray(0, part), at)
        at += part
        if (part === chunk.byteLength) this.#head++
        else this.#chunks[this.#head] = chunk.subarray(part)
      }
    }
    if (this.#head === this.#chunks.length) {
      this.#chunks = []
      this.#head = 0
    } else if (this.#head > 1024) {
      this.#chunks = this.#chunks.slice(this.#head)
      this.#head = 0
    }
    return out
  }
}
