import { expect } from 'chai'
import type { RoomEvent } from '../../../actors/index.ts'
import { agentRecord, roomRecord } from '../../../actors/index.ts'

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

  it('should export an agent event whole, its type as the kind', () => {
    expect(agentRecord(7, { type: 'user-asked', requestId: 'r', text: 'q', ts: 9 })).to.deep.equal({ seq: 7, kind: 'user-asked', requestId: 'r', text: 'q', ts: 9 })
  })
})
