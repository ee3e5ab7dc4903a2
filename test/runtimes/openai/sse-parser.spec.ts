import { expect } from 'chai'
import fc from 'fast-check'
import { SseParser } from '../../../runtimes/openai/index.ts'
import type { SseEvent } from '../../../runtimes/openai/index.ts'

/** Every feature of the format at once: CRLF, CR and LF line ends, comments, a multi-line event,
 * named events, fields without a colon or without the space, fields we ignore, non-ASCII text. */
const STREAM = ': keep-alive\r\n\r\n' +
  'data: {"choices":[{"delta":{"content":"Grüße 🙂"}}]}\r\n\r\n' +
  'data:first line\ndata: second line\n\n' +
  'id: 7\rretry: 100\revent: error\rdata: {"error":{"message":"boom"}}\r\r' +
  'data\n\n' +
  'data: [DONE]\n\n'
const EVENTS: SseEvent[] = [
  { event: 'message', data: '{"choices":[{"delta":{"content":"Grüße 🙂"}}]}' },
  { event: 'message', data: 'first line\nsecond line' },
  { event: 'error', data: '{"error":{"message":"boom"}}' },
  { event: 'message', data: '' },
  { event: 'message', data: '[DONE]' }
]

function parse (pieces: readonly string[], max = 1_000): SseEvent[] {
  const parser = new SseParser(max)
  return [...pieces.flatMap((p) => parser.push(p)), ...parser.end()]
}

describe('SseParser', () => {
  it('should read every kind of line the format allows when the stream comes whole', () => {
    expect(parse([STREAM])).to.deep.equal(EVENTS)
  })

  it('should give the same events when the stream is cut at any one place', () => {
    for (let i = 0; i <= STREAM.length; i++) {
      expect(parse([STREAM.slice(0, i), STREAM.slice(i)]), `cut at ${i}`).to.deep.equal(EVENTS)
    }
  })

  it('should give the same events when the stream is cut into any pieces', () => {
    fc.assert(fc.property(fc.array(fc.integer({ min: 0, max: STREAM.length }), { maxLength: 12 }), (cuts) => {
      const at = [0, ...[...cuts].sort((a, b) => a - b), STREAM.length]
      const pieces = at.slice(1).map((end, i) => STREAM.slice(at[i], end))
      expect(parse(pieces)).to.deep.equal(EVENTS)
    }), { numRuns: 500, seed: 20261122 })
  })

  it('should take a CR at the end of one piece and an LF at the start of the next as one line end', () => {
    expect(parse(['data: a\r', '\ndata: b\r', '\n\r', '\n'])).to.deep.equal([{ event: 'message', data: 'a\nb' }])
  })

  it('should dispatch the last event when the stream ends without a blank line', () => {
    expect(parse(['data: {"usage":{}}\n'])).to.deep.equal([{ event: 'message', data: '{"usage":{}}' }])
    expect(parse(['data: [DONE]'])).to.deep.equal([{ event: 'message', data: '[DONE]' }])
    expect(parse([': only a comment\n'])).to.deep.equal([])
  })

  it('should throw RangeError when a line or an event grows past the limit', () => {
    expect(() => parse(['data: ' + 'x'.repeat(100)], 50)).to.throw(RangeError, /line is longer than 50/)
    const parser = new SseParser(50)
    for (let i = 0; i < 5; i++) parser.push('data: 123456789\n')
    expect(() => parser.push('data: 123456789\n')).to.throw(RangeError, /event is longer than 50/)
  })
})
