import { expect } from 'chai'
import { toMessage } from '../../../actors/entities/room-writes.ts'

describe('room writes', () => {
  it('should show each journaled event as the chat message clients see, with its seq, the client id of a post and never its ref', () => {
    expect(toMessage('r', { seq: 4, event: { type: 'message-posted', user: 'ann', text: 'hi', ts: 7, clientId: 'c-1' } }))
      .to.deep.equal({ room: 'r', seq: 4, user: 'ann', text: 'hi', ts: 7, kind: 'message', clientId: 'c-1' })
    expect(toMessage('r', { seq: 5, event: { type: 'message-posted', user: 'dice[bot]', text: '6', ts: 8, ref: 'g-1' } }))
      .to.deep.equal({ room: 'r', seq: 5, user: 'dice[bot]', text: '6', ts: 8, kind: 'message' })
    expect(toMessage('r', { seq: 6, event: { type: 'member-joined', user: 'bob', ts: 9 } })).to.deep.equal({ room: 'r', seq: 6, user: 'bob', text: '', ts: 9, kind: 'join' })
    expect(toMessage('r', { seq: 7, event: { type: 'member-left', user: 'bob', ts: 9 } }).kind).to.equal('leave')
  })
})
