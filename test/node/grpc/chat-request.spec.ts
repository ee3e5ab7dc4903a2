import { expect } from 'chai'
import { checkClientId, checkRoom, checkSeq } from '../../../node/grpc/chat-request.ts'
import { thrown } from '../../helpers/thrown.ts'

describe('chat request', () => {
  it('should take a room name and refuse anything else naming the field, never echoing a long value', () => {
    expect(checkRoom('general')).to.equal('general')
    for (const bad of ['', 'Bad Room', 42, undefined, 'x'.repeat(10_000)]) {
      const err = thrown(() => checkRoom(bad))
      expect(err.name).to.equal('InvalidRequestError')
      expect(err.message).to.match(/^room: .* is not a room name/)
      expect(err.message.length).to.be.lessThan(300)
    }
  })

  it('should read an unset client_id ("" in proto3) as none, and refuse one that is not a client id', () => {
    expect(checkClientId('')).to.equal(undefined)
    expect(checkClientId(undefined)).to.equal(undefined)
    expect(checkClientId('c-1')).to.equal('c-1')
    expect(thrown(() => checkClientId('has space')).message).to.match(/^client_id: "has space" is not a client id/)
  })

  it('should take a seq >= 0 and refuse a negative, fractional or unsafe one naming the field', () => {
    expect(checkSeq(0, 'after')).to.equal(0)
    for (const bad of [-1, 1.5, Number.MAX_SAFE_INTEGER + 2, '3']) expect(thrown(() => checkSeq(bad, 'after')).message).to.equal('after: must be a seq >= 0')
  })
})
