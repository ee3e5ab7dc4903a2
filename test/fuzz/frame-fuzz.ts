import { isDeepStrictEqual } from 'node:util'
import fc from 'fast-check'
import { Packr } from 'msgpackr'
import { ENVELOPE, FrameReader, InvalidFrameError, LIMITS, MAX_FRAME_BYTES, decodeFrame, encodeEnvelope, encodeFrame } from '../../protocols/p2p/index.ts'
import type { Envelope } from '../../protocols/p2p/index.ts'
import { parameters } from './fuzz-target.ts'
import type { FuzzOptions, FuzzTarget } from './fuzz-target.ts'

const packr = new Packr({ useRecords: false, moreTypes: false })

/** A short string, or one at or just past a limit (the checks' edges). */
const field = (max: number): fc.Arbitrary<unknown> => fc.oneof(
  { weight: 6, arbitrary: fc.string({ maxLength: 12 }) },
  { weight: 1, arbitrary: fc.constantFrom(max, max + 1).map((n) => 'x'.repeat(n)) },
  { weight: 1, arbitrary: fc.anything({ maxDepth: 1 }) })

/** Plain data as msgpack carries it both ways (what a message is). */
const plain = (): fc.Arbitrary<unknown> => fc.jsonValue({ maxDepth: 3 })

/** A well-formed envelope of each kind (what a member sends), its message anything plain. */
export function validEnvelope (): fc.Arbitrary<Envelope> {
  const s = (max: number): fc.Arbitrary<string> => fc.string({ maxLength: Math.min(max, 16) })
  const errorData = fc.record({ name: s(LIMITS.type), message: fc.string({ maxLength: 40 }), kind: fc.constantFrom('invalid', 'internal', 'not-found') })
  return fc.oneof(
    fc.tuple(fc.constant(ENVELOPE.ENTITY), s(LIMITS.type), s(LIMITS.key), plain(), fc.constant(0), fc.constant('')),
    fc.tuple(fc.constant(ENVELOPE.ENTITY), s(LIMITS.type), s(LIMITS.key), plain(), fc.constant(1), fc.string({ minLength: 1, maxLength: 16 })),
    fc.tuple(fc.constant(ENVELOPE.ACTOR), s(LIMITS.path).map((p) => `/${p}`), fc.dictionary(fc.string({ maxLength: 8 }), plain(), { maxKeys: 4 })),
    fc.tuple(fc.constant(ENVELOPE.REPLY), s(LIMITS.askId), plain()),
    fc.tuple(fc.constant(ENVELOPE.FAILURE), s(LIMITS.askId), errorData),
    fc.tuple(fc.constant(ENVELOPE.OWNER), s(LIMITS.type), s(LIMITS.key), s(LIMITS.peerId))
  ) as fc.Arbitrary<Envelope>
}

/** An envelope near a valid one: a kind (mostly a known one) and fields that may break every rule. */
export function garbageEnvelope (): fc.Arbitrary<unknown> {
  return fc.oneof(
    validEnvelope(),
    fc.tuple(fc.oneof(fc.integer({ min: 0, max: 6 }), fc.anything({ maxDepth: 0 })), field(LIMITS.type), field(LIMITS.key), fc.anything({ maxDepth: 2 }), fc.oneof(fc.integer({ min: -1, max: 2 }), fc.double()), field(LIMITS.peerId))
      .chain((e) => fc.nat({ max: 7 }).map((n) => e.slice(0, n))),
    fc.anything({ maxDepth: 2 }))
}

/** The bytes a peer may put on an actor stream: anything, or frames with bad headers, bodies or envelopes. */
export function streamBytes (): fc.Arbitrary<Uint8Array> {
  const varint = (n: number): number[] => {
    const out: number[] = []
    while (n >= 0x80) { out.push((n & 0x7f) | 0x80); n = Math.floor(n / 128) }
    out.push(n)
    return out
  }
  const frame = (body: Uint8Array): Uint8Array => Uint8Array.from([...varint(body.byteLength), ...body])
  return fc.oneof(
    // raw garbage
    fc.uint8Array({ maxLength: 200 }),
    // a frame header over the limit, or a prefix over 4 bytes, then anything
    fc.tuple(fc.constantFrom(varint(MAX_FRAME_BYTES + 1), [0xff, 0xff, 0xff, 0xff, 0x7f], [0x80, 0x80, 0x80, 0x80, 0x80]), fc.uint8Array({ maxLength: 16 }))
      .map(([head, rest]) => Uint8Array.from([...head, ...rest])),
    // a valid header before a garbage body
    fc.uint8Array({ maxLength: 200 }).map(frame),
    // a msgpack body that is not an array of good envelopes
    fc.anything({ maxDepth: 3 }).map((v) => frame(packr.pack(v))),
    fc.array(garbageEnvelope(), { maxLength: 6 }).map((es) => frame(packr.pack(es))),
    // a good frame, truncated or with a byte changed
    fc.tuple(fc.array(validEnvelope(), { minLength: 1, maxLength: 4 }), fc.nat(), fc.nat({ max: 255 }), fc.boolean()).map(([es, at, byte, cut]) => {
      const bytes = encodeFrame(es.map(encodeEnvelope))
      const i = at % bytes.byteLength
      if (cut) return bytes.subarray(0, i)
      const copy = Uint8Array.from(bytes)
      copy[i] = byte
      return copy
    }))
}

/** Cuts `bytes` at the given points (as a stream's chunks arrive). */
function chunked (bytes: Uint8Array, cuts: readonly number[]): Uint8Array[] {
  const at = [...new Set(cuts.map((c) => c % (bytes.byteLength + 1)))].sort((a, b) => a - b)
  const out: Uint8Array[] = []
  let from = 0
  for (const to of [...at, bytes.byteLength]) {
    out.push(bytes.subarray(from, to))
    from = to
  }
  return out
}

/** Reads `chunks` as an inbound stream does; the envelopes of every frame, or the error that ended it. */
function readStream (chunks: readonly Uint8Array[]): { envelopes: Envelope[], error?: unknown } {
  const reader = new FrameReader()
  const envelopes: Envelope[] = []
  try {
    for (const chunk of chunks) reader.push(chunk, (body) => { envelopes.push(...decodeFrame(body)) })
  } catch (error) {
    return { envelopes, error }
  }
  return { envelopes }
}

/**
 * The actor wire's reader and decoder (protocols/p2p): any bytes, in any chunks, either decode
 * into envelopes that pass every check or end with InvalidFrameError (never another error, never
 * a hang); and well-formed frames, cut anywhere, decode to what was sent.
 */
export const frameFuzz: FuzzTarget = {
  name: 'frames',
  about: 'p2p frames and envelopes: any bytes in any chunks → checked envelopes or InvalidFrameError; good frames round-trip',
  defaultRuns: 20_000,
  async run (options: FuzzOptions) {
    const input = fc.oneof(
      fc.record({ kind: fc.constant('garbage' as const), bytes: streamBytes(), cuts: fc.array(fc.nat(), { maxLength: 4 }) }),
      fc.record({ kind: fc.constant('good' as const), frames: fc.array(fc.array(validEnvelope(), { maxLength: 5 }), { minLength: 1, maxLength: 3 }), cuts: fc.array(fc.nat(), { maxLength: 6 }) }))
    return await fc.check(fc.property(input, (case_) => {
      if (case_.kind === 'garbage') {
        const { error } = readStream(chunked(case_.bytes, case_.cuts))
        if (error !== undefined && !(error instanceof InvalidFrameError)) throw new Error(`not InvalidFrameError: ${String(error)}`)
        return
      }
      const bytes = Buffer.concat(case_.frames.map((es) => encodeFrame(es.map(encodeEnvelope))))
      const { envelopes, error } = readStream(chunked(bytes, case_.cuts))
      if (error !== undefined) throw new Error(`a good frame refused: ${String(error)}`)
      if (!isDeepStrictEqual(envelopes, case_.frames.flat().map((e) => packr.unpack(packr.pack(e)) as unknown))) throw new Error('envelopes changed on the way')
    }), parameters(options))
  }
}
