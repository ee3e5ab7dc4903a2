import { expect } from 'chai'
import fc from 'fast-check'
import { roomRecordJson } from '../../../actors/index.ts'
import type { RoomEvent } from '../../../actors/index.ts'
import { ReplicaValues } from '../../../node/replication/replica/replica-values.ts'
import { packedRoomLine } from '../../../node/transfer/packed-json.ts'
import { FramedWriter } from '../../../node/transfer/framed-writer.ts'

/** A room record's JSON made from its stored bytes (packed-json.ts) against the room's own. */
describe('packedRoomLine', () => {
  const values = new ReplicaValues()
  const stored = (event: unknown, rev?: number): Uint8Array => values.encodeRecord({ seq: 1, epoch: 1_764_000_000_123, event, ...(rev !== undefined && { rev }) })
  /** What packedRoomLine makes of the record, or undefined where it leaves it to the slow path. */
  const made = (seq: number, payload: Uint8Array, redacted: boolean, room = 4096): string | undefined => {
    const out = Buffer.alloc(room)
    const end = packedRoomLine(seq, payload, redacted, out, 3)
    if (end === -1) return made(seq, payload, redacted, room * 4)
    return end === undefined ? undefined : out.toString('utf8', 3, end)
  }
  const post = (fields: Record<string, unknown> = {}): Record<string, unknown> => ({ type: 'message-posted', user: 'alice', text: 'we decided to ship on "Friday" \\ é 日本 😀\n', ts: 1_764_000_000_123, ...fields })

  it('should make a plain post (with a client id, an import\'s origin, a redaction, a revision) byte for byte as the room does', () => {
    const cases: Array<[Record<string, unknown>, boolean]> = [
      [post(), false],
      [post({ clientId: 'c-1', importedFrom: { source: 'c1/room/general/17', seq: 12, user: 'bob', ts: 1_700_000_000_000 } }), false],
      [post({ text: '' }), false],
      [post({ redacted: true, text: '' }), false],
      [post(), true],
      [post({ text: '\u0000\u0001\u001f\u007f\b\f\r\t' }), false],
      [post({ ts: 0.5 }), false],
      [post({ ts: -12 }), false],
      [post({ other: [1, { x: null }] }), false]
    ]
    for (const [event, redacted] of cases) {
      for (const rev of [undefined, 3]) {
        const line = made(9_007_199_254_740_991, stored(event, rev), redacted)
        expect(line, JSON.stringify(event)).to.equal(roomRecordJson(9_007_199_254_740_991, event as RoomEvent, redacted))
      }
    }
  })

  it('should leave to the slow path what it does not make exactly as the room does', () => {
    for (const event of [
      { type: 'member-joined', user: 'alice', ts: 1 },
      post({ user: 7 }),
      post({ text: ['a'] }),
      post({ ts: 'yesterday' }),
      post({ importedFrom: { 1: 'a digit key goes first in JSON.stringify' } }),
      post({ clientId: 2n ** 63n })
    ]) expect(made(1, stored(event), false), JSON.stringify(event, (_k, v: unknown) => typeof v === 'bigint' ? String(v) : v)).to.equal(undefined)
    // not a record at all, a cut one, and a seq that is no safe integer
    expect(made(1, values.encode({ a: 1 }), false)).to.equal(undefined)
    const whole = stored(post())
    expect(made(1, whole.subarray(0, whole.length - 3), false)).to.equal(undefined)
    expect(made(2 ** 53, whole, false)).to.equal(undefined)
  })

  it('should say when the room left in its buffer is too little, and write nothing past it', () => {
    const out = Buffer.alloc(40)
    expect(packedRoomLine(1, stored(post()), false, out, 0)).to.equal(-1)
    expect(packedRoomLine(1, stored(post()), false, out, 40)).to.equal(-1)
  })

  it('should make any post it makes as the room does (property)', () => {
    const text = fc.string({ unit: 'binary', maxLength: 200 }).filter((s) => s.isWellFormed())
    const json: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
      value: fc.oneof({ depthSize: 'small' }, fc.constant(null), fc.boolean(), fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), text,
        fc.array(tie('value'), { maxLength: 3 }), fc.dictionary(text, tie('value'), { maxKeys: 3 }))
    })).value
    fc.assert(fc.property(
      fc.record({ user: text, text, ts: fc.oneof(fc.integer({ min: 0, max: 2 ** 42 }), fc.double({ noNaN: true, noDefaultInfinity: true })) }),
      fc.option(json, { nil: undefined }), fc.option(json, { nil: undefined }), fc.boolean(), fc.boolean(), fc.nat({ max: 2 ** 40 }),
      (fields, clientId, importedFrom, redacted, gone, seq) => {
        const event = post({ ...fields, ...(clientId !== undefined && { clientId }), ...(importedFrom !== undefined && { importedFrom }), ...(gone && { redacted: true }) })
        // (the event as the room holds it after the store: what msgpack gives back)
        const back = values.record('k', stored(event)).event as RoomEvent
        const line = made(seq, stored(event), redacted)
        if (line !== undefined) expect(line).to.equal(roomRecordJson(seq, back, redacted))
      }), { numRuns: 2_000 })
  })

  it('should make every plain post of the chat\'s own shape (property: the fast path is taken)', () => {
    fc.assert(fc.property(fc.string({ maxLength: 300 }), fc.stringMatching(/^[a-z][a-z0-9]{0,31}$/), fc.nat({ max: 2 ** 45 }), (text, user, ts) => {
      expect(made(5, stored(post({ text, user, ts, clientId: 'c-abc' })), false)).to.be.a('string')
    }), { numRuns: 1_000 })
  })
})

describe('FramedWriter', () => {
  const values = new ReplicaValues()
  const record = (seq: number, text: string): { seq: number, key: string, value: Uint8Array } =>
    ({ seq, key: `k${seq}`, value: values.encodeRecord({ seq, epoch: 1, event: { type: 'message-posted', user: 'alice', text, ts: seq } }) })

  it('should frame records for json and ndjson across buffers, those it cannot make from bytes as their lines', () => {
    for (const framing of ['json', 'ndjson'] as const) {
      const w = new FramedWriter(framing)
      const lines: string[] = []
      for (let seq = 1; seq <= 400; seq++) {
        // texts of every size, one larger than a whole buffer
        const r = record(seq, seq === 200 ? 'y'.repeat(100_000) : 'x'.repeat(seq * 7 % 900))
        lines.push(roomRecordJson(seq, values.record(r.key, r.value).event as RoomEvent, false))
        if (!w.packed(r, false)) w.line(lines.at(-1) as string)
      }
      const out = w.finish()
      expect(out.count).to.equal(400)
      expect(out.chunks.length).to.be.greaterThan(3)
      const text = Buffer.concat(out.chunks).toString()
      expect(text).to.equal(framing === 'json' ? lines.map((l) => `,\n${l}`).join('') : lines.map((l) => `${l}\n`).join(''))
      expect(w.bytes).to.equal(Buffer.byteLength(text))
    }
  })
})
