import { expect } from 'chai'
import { FrameReader, InvalidFrameError, decodeFrame, encodeEnvelope, encodeFrame, encodeFrames, stripTraceField } from '../../../protocols/p2p/index.ts'
import type { Envelope } from '../../../protocols/p2p/index.ts'
import { ENVELOPE, MAX_FRAME_BYTES } from '../../../protocols/p2p/index.ts'

const envelopes = (n: number, text = 'x'): Envelope[] =>
  Array.from({ length: n }, (_, i) => [ENVELOPE.ENTITY, 'room', `r${i}`, { type: 'post', text: `${text}${i}` }, 0, ''] as Envelope)

function read (chunks: Uint8Array[]): Envelope[][] {
  const reader = new FrameReader()
  const frames: Envelope[][] = []
  for (const chunk of chunks) reader.push(chunk, (body) => { frames.push(decodeFrame(body)) })
  return frames
}

describe('actor protocol frames', () => {
  it('should round-trip frames of 1, 15, 16 and 4096 envelopes (each array header size), and refuse 4097', () => {
    for (const n of [1, 15, 16, 4096]) {
      const sent = envelopes(n)
      expect(read([encodeFrame(sent.map(encodeEnvelope))])).to.deep.equal([sent])
    }
    expect(() => read([encodeFrame(envelopes(4097).map(encodeEnvelope))])).to.throw(InvalidFrameError, /4097 envelopes, over 4096/)
  })

  it('should cut frames out of any chunking: byte by byte, several per chunk, one across many chunks', () => {
    const a = encodeFrame(envelopes(3).map(encodeEnvelope))
    const big = encodeFrame(envelopes(40, 'y'.repeat(5000)).map(encodeEnvelope))
    const all = new Uint8Array([...a, ...big, ...a])
    const expected = [envelopes(3), envelopes(40, 'y'.repeat(5000)), envelopes(3)]
    expect(read([all])).to.deep.equal(expected)
    expect(read([...all].map((b) => new Uint8Array([b])))).to.deep.equal(expected)
    const chunks: Uint8Array[] = []
    for (let i = 0; i < all.byteLength; i += 977) chunks.push(all.subarray(i, i + 977))
    expect(read(chunks)).to.deep.equal(expected)
  })

  it('should write several frames into one buffer (one write) that read back as the same frames', () => {
    const sent = [...envelopes(20), ...envelopes(1, 'z'.repeat(300)), ...envelopes(64, 'w')]
    const counts = [15, 5, 1, 64]
    const one = encodeFrames(sent.map(encodeEnvelope), counts)
    const expected = [sent.slice(0, 15), sent.slice(15, 20), sent.slice(20, 21), sent.slice(21)]
    expect(read([one])).to.deep.equal(expected)
    expect(one).to.deep.equal(new Uint8Array(expected.flatMap((f) => [...encodeFrame(f.map(encodeEnvelope))])))
    const chunks: Uint8Array[] = []
    for (let i = 0; i < one.byteLength; i += 101) chunks.push(one.subarray(i, i + 101))
    expect(read(chunks)).to.deep.equal(expected)
  })

  it('should refuse a length over the limit as soon as the prefix is read, and a prefix over 4 bytes', () => {
    const reader = new FrameReader()
    const over = MAX_FRAME_BYTES + 1
    const prefix = [over & 0x7f | 0x80, (over >> 7) & 0x7f | 0x80, (over >> 14) & 0x7f | 0x80, over >> 21]
    expect(() => { reader.push(new Uint8Array(prefix), () => undefined) }).to.throw(InvalidFrameError, /over 4194304/)
    expect(() => { new FrameReader().push(new Uint8Array([0x80, 0x80, 0x80, 0x80, 0x01]), () => undefined) }).to.throw(InvalidFrameError, /prefix over 4 bytes/)
  })

  it('should refuse envelopes of the wrong shape, naming the envelope', () => {
    const bad = (e: unknown): Error | undefined => {
      try {
        decodeFrame(encodeFrame([encodeEnvelope(e as Envelope)]).subarray(1))
        return undefined
      } catch (err) {
        return err as Error
      }
    }
    expect(bad([ENVELOPE.ENTITY, 'room', 'k', {}, 3, 'p'])?.message).to.match(/envelope 0: hops must be 0-2/)
    expect(bad([ENVELOPE.ENTITY, 'room', 'k', {}, 1, ''])?.message).to.match(/origin/)
    expect(bad([ENVELOPE.ACTOR, 'no-slash', {}])?.message).to.match(/path/)
    // found by fuzzing: a null reached an actor that read msg.type, which crashed and restarted
    for (const msg of [null, 7, 'get', ['a'], new Uint8Array(2)]) expect(bad([ENVELOPE.ACTOR, '/shard-0', msg])?.message, String(msg)).to.match(/an actor message is a map/)
    expect(bad([ENVELOPE.FAILURE, '1', { name: 'E', message: 'm', fields: { f: {} } }])?.message).to.match(/failure envelope/)
    expect(bad([ENVELOPE.OWNER, 'room', 'k'])?.message).to.match(/owner envelope/)
    expect(bad([ENVELOPE.REPLY, 'x'.repeat(33), 1])?.message).to.match(/reply envelope/)
    expect(bad([ENVELOPE.REPLY, '1', { any: ['value'] }])).to.equal(undefined)
  })

  describe('the trace field (/plexi/actor/1.1.0)', () => {
    const TP = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01'
    const one = (e: unknown): unknown[] => (read([encodeFrame([encodeEnvelope(e as Envelope)])])[0] as Envelope[])[0] as unknown as unknown[]

    it('should take ENTITY and ACTOR envelopes with a trace field, a traceparent or a pair with its state', () => {
      expect(one([ENVELOPE.ENTITY, 'room', 'a', { type: 'post' }, 0, '', TP])[6]).to.equal(TP)
      expect(one([ENVELOPE.ACTOR, '/chat-gateway', { type: 'x' }, [TP, 'k=v']])[3]).to.deep.equal([TP, 'k=v'])
      expect(one([ENVELOPE.ENTITY, 'room', 'a', { type: 'post' }, 0, ''])).to.have.lengthOf(6)
    })

    it('should keep the envelope and drop a trace field of another shape or over its bound (ignored, never refused)', () => {
      for (const bad of [7, { tp: TP }, [TP], [TP, 1], 'x'.repeat(600), [TP, 'x'.repeat(600)], null]) {
        const e = one([ENVELOPE.ENTITY, 'room', 'a', { type: 'post' }, 0, '', bad])
        expect(e[6], JSON.stringify(bad)?.slice(0, 40)).to.equal(undefined)
        expect(e[3]).to.deep.equal({ type: 'post' })
      }
      expect(one([ENVELOPE.ACTOR, '/a', { type: 'x' }, { no: 1 }])[3]).to.equal(undefined)
    })

    it('should still refuse envelopes with more fields than the trace (a frame an older peer would refuse too)', () => {
      expect(() => one([ENVELOPE.ENTITY, 'room', 'a', { type: 'post' }, 0, '', TP, 'more'])).to.throw(InvalidFrameError, /6 fields/)
      expect(() => one([ENVELOPE.ACTOR, '/a', { type: 'x' }, TP, 'more'])).to.throw(InvalidFrameError, /trace\?/)
      expect(() => one([ENVELOPE.REPLY, 'ask1', 1, TP])).to.throw(InvalidFrameError)
    })

    it('should strip the trace field for a peer of an earlier version, leaving other envelopes as they are', () => {
      const traced = encodeEnvelope([ENVELOPE.ENTITY, 'room', 'a', { type: 'post' }, 0, '', TP])
      const plain = encodeEnvelope([ENVELOPE.ENTITY, 'room', 'a', { type: 'post' }, 0, ''])
      expect(Buffer.from(stripTraceField(traced)).equals(Buffer.from(plain))).to.equal(true)
      expect(stripTraceField(plain)).to.equal(plain)
      const actor = encodeEnvelope([ENVELOPE.ACTOR, '/a', { type: 'x' }, TP])
      expect(Buffer.from(stripTraceField(actor)).equals(Buffer.from(encodeEnvelope([ENVELOPE.ACTOR, '/a', { type: 'x' }])))).to.equal(true)
      const reply = encodeEnvelope([ENVELOPE.REPLY, 'ask', 1])
      expect(stripTraceField(reply)).to.equal(reply)
    })
  })
})
