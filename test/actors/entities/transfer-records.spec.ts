import { expect } from 'chai'
import fc from 'fast-check'
import type { RoomEvent } from '../../../actors/index.ts'
import { agentRecord, roomRecord, roomRecordJson } from '../../../actors/index.ts'

describe('transfer-records', () => {
  it('should export each room event as its record, a redacted post without its text, a redaction by its name', () => {
    const posted: RoomEvent = { type: 'message-posted', user: 'ann', text: 'hi', ts: 5, clientId: 'c1' }
    expect(roomRecord(1, posted, false)).to.deep.equal({ seq: 1, kind: 'message', user: 'ann', ts: 5, text: 'hi', clientId: 'c1' })
    expect(roomRecord(1, posted, true)).to.deep.equal({ seq: 1, kind: 'message', user: 'ann', ts: 5, redacted: true, clientId: 'c1' })
    expect(roomRecord(2, { type: 'member-joined', user: 'bob', ts: 6 }, false)).to.deep.equal({ seq: 2, kind: 'join', user: 'bob', ts: 6 })
    expect(roomRecord(3, { type: 'member-left', user: 'bob', ts: 7 }, false)).to.deep.equal({ seq: 3, kind: 'leave', user: 'bob', ts: 7 })
    const redaction = { type: 'message-redacted', seq: 1, by: 'ann', ts: 8 } as unknown as RoomEvent
    expect(roomRecord(4, redaction, false)).to.deep.equal({ seq: 4, kind: 'redaction', user: 'ann', ts: 8, redacts: 1 })
    const imported: RoomEvent = { ...posted, importedFrom: { source: 's', seq: 3, user: 'x', ts: 1 } }
    expect(roomRecord(5, imported, false).importedFrom).to.deep.equal({ source: 's', seq: 3, user: 'x', ts: 1 })
  })

  it('should make a record\'s JSON line the same string as JSON.stringify of its record, for any event (property)', () => {
    const text = fc.string({ unit: 'binary', maxLength: 40 })
    const posted = fc.record({
      type: fc.constant('message-posted' as const),
      user: text,
      text,
      ts: fc.oneof(fc.integer(), fc.double(), fc.constant(1_767_225_600_000)),
      clientId: fc.option(text, { nil: undefined }),
      ref: fc.option(text, { nil: undefined }),
      redacted: fc.option(fc.record({ by: text, ts: fc.integer() }), { nil: undefined }),
      importedFrom: fc.option(fc.record({ source: text, seq: fc.nat(), user: text, ts: fc.integer(), clientId: fc.option(text, { nil: undefined }) }), { nil: undefined })
    }, { requiredKeys: ['type', 'user', 'text', 'ts'] })
    const other = fc.oneof(
      fc.record({ type: fc.constant('member-joined' as const), user: text, ts: fc.integer() }),
      fc.record({ type: fc.constant('member-left' as const), user: text, ts: fc.integer() }),
      fc.record({ type: fc.constant('message-redacted' as const), seq: fc.nat(), by: text, ts: fc.integer() })
    )
    // what a damaged or older store could hold: fields of other types than a post's
    const odd = fc.record({ type: fc.constant('message-posted' as const), user: fc.anything(), text: fc.anything(), ts: fc.anything() })
    fc.assert(fc.property(fc.oneof(fc.nat(), fc.double()), fc.oneof(posted, other, odd), fc.boolean(), (seq, event, redacted) => {
      const e = event as RoomEvent
      expect(roomRecordJson(seq, e, redacted)).to.equal(JSON.stringify(roomRecord(seq, e, redacted)))
    }), { numRuns: 1_000 })
  })

  it('should export an agent event whole, its type as the kind', () => {
    expect(agentRecord(7, { type: 'user-asked', requestId: 'r', text: 'q', ts: 9 })).to.deep.equal({ seq: 7, kind: 'user-asked', requestId: 'r', text: 'q', ts: 9 })
  })
})
