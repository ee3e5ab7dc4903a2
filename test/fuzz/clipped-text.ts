import fc from 'fast-check'

/**
 * Lengths at which Plexi's messages clip what a client sent (protocols' clip and clipBytes): 40 and
 * 80 for names and ids quoted in a refusal, 200 and 300 for a URL or a body in a log or the audit
 * trail, 500 for an admin message, 1000 for a gRPC status.
 */
const CLIP_LIMITS = [40, 64, 80, 100, 200, 300, 500, 1000] as const
/** Characters of two UTF-16 units each (beyond the BMP), one of them two code points. */
const ASTRAL = ['😀', '𝄞', '\u{10ffff}', '👍🏽'] as const
/** Halves of a surrogate pair alone: not Unicode, yet a JS string (and protobufjs's decoder) holds them. */
const LONE = ['\ud800', '\udfff'] as const

/**
 * Text that a clip cuts inside a character: a few 1-, 2- or 3-byte characters, then characters
 * beyond the BMP (or, with `lone`, halves of them) past a clip limit, so that whatever the prefix a
 * message puts before it, a cut falls between two halves about every other time. Plain ASCII
 * strings never find it: fuzzing found gRPC calls never answered once a status message was cut
 * between the halves of an emoji.
 */
export function clippedText (options: { lone?: boolean } = {}): fc.Arbitrary<string> {
  const odd = options.lone === true ? [...ASTRAL, ...LONE] : [...ASTRAL]
  return fc.record({
    limit: fc.constantFrom(...CLIP_LIMITS),
    lead: fc.integer({ min: 0, max: 3 }),
    fill: fc.constantFrom('x', 'é', '€'),
    odd: fc.constantFrom(...odd),
    more: fc.integer({ min: 0, max: 4 })
  }).map(({ limit, lead, fill, odd, more }) => `${fill.repeat(lead)}${odd.repeat(Math.ceil(limit / odd.length) + more)}`)
}
