import { expect } from 'chai'
import fc from 'fast-check'
import { Packr } from 'msgpackr'
import { FrameReader, InvalidFrameError, MAX_PROBE_FRAME_BYTES, PROBE, decodeProbe, encodeProbe } from '../../../protocols/p2p/index.ts'
import type { ProbeFrame } from '../../../protocols/p2p/index.ts'

const packr = new Packr({ useRecords: false })
const PEER = '12D3KooWDpJ7As7BWAwRMfu1VU2WCqNjvq387JEYKDBj4kx6nXTN'

/** The frame bodies in `bytes`, as a probe stream's reader cuts them. */
function bodies (bytes: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = []
  new FrameReader().push(bytes, (body) => { out.push(body) })
  return out
}

describe('probe frames', () => {
  it('should round-trip every kind through the actor protocol\'s framing, each a few bytes', () => {
    const frames: ProbeFrame[] = [[PROBE.PING, 0, 0], [PROBE.PING, 0xffff_ffff, 255], [PROBE.ACK, 7], [PROBE.NACK, 7], [PROBE.PING_REQ, 9, PEER]]
    for (const frame of frames) {
      const wire = encodeProbe(frame)
      expect(wire.byteLength).to.be.below(MAX_PROBE_FRAME_BYTES)
      const [body, ...more] = bodies(wire)
      expect(more).to.deep.equal([])
      expect(decodeProbe(body as Uint8Array)).to.deep.equal(frame)
    }
  })

  it('should refuse every malformed frame with the reason, never a crash', () => {
    const cases: Array<[unknown, RegExp]> = [
      [[PROBE.PING, 1], /a ping is \[1, nonce, missed\]/],
      [[PROBE.PING, 1, 256], /missed must be/],
      [[PROBE.PING, 1, -1], /missed must be/],
      [[PROBE.PING, 1, 1.5], /missed must be/],
      [[PROBE.PING, -1, 0], /nonce/],
      [[PROBE.PING, 2 ** 32, 0], /nonce/],
      [[PROBE.PING, '1', 0], /nonce/],
      [[PROBE.ACK, 1, 'extra'], /an ack is/],
      [[PROBE.NACK], /nonce/],
      [[PROBE.PING_REQ, 1], /a ping-req is/],
      [[PROBE.PING_REQ, 1, ''], /target/],
      [[PROBE.PING_REQ, 1, 'x'.repeat(129)], /target/],
      [[PROBE.PING_REQ, 1, 7], /target/],
      [[9, 1], /unknown kind 9/],
      [['ping', 1], /unknown kind "ping"/],
      [[], /not an array/],
      [{ kind: 1 }, /not an array/],
      [null, /not an array/]
    ]
    for (const [value, why] of cases) {
      expect(() => decodeProbe(packr.pack(value)), JSON.stringify(value)).to.throw(InvalidFrameError, why)
    }
    expect(() => decodeProbe(new Uint8Array([0x92, 0x01]))).to.throw(InvalidFrameError, /not msgpack/)
    expect(() => decodeProbe(packr.pack([PROBE.PING_REQ, 1, 'x'.repeat(300)]))).to.throw(InvalidFrameError, /over 256/)
    expect(() => decodeProbe(packr.pack([PROBE.PING, 1n << 63n, 0]))).to.throw(InvalidFrameError, /nonce/)
  })

  it('should throw nothing but InvalidFrameError for any bytes (property)', () => {
    fc.assert(fc.property(fc.oneof(fc.uint8Array({ maxLength: 300 }), fc.anything({ maxDepth: 2 }).map((v) => packr.pack(v)),
      fc.tuple(fc.integer({ min: 0, max: 5 }), fc.anything({ maxDepth: 1 }), fc.anything({ maxDepth: 1 })).map((t) => packr.pack(t))), (bytes) => {
      try {
        const frame = decodeProbe(bytes)
        expect(Array.isArray(frame)).to.equal(true)
      } catch (err) {
        expect(err).to.be.instanceOf(InvalidFrameError)
      }
    }), { seed: 35, numRuns: 2_000 })
  })
})
