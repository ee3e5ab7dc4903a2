import { expect } from 'chai'
import { fastMessageId } from '../../../node/mesh/fast-message-id.ts'

describe('fastMessageId', () => {
  const from = Uint8Array.from([0, 36, 8, 1, 18, 32, ...new Array<number>(32).fill(7)])
  const seqno = Uint8Array.from([0x18, 0x7a, 0, 0, 0, 0, 0, 1])

  it('should give every copy of one message the same id, whatever else the copy carries', () => {
    const copy = { from: from.slice(), seqno: seqno.slice(), topic: 'plexi/members', data: Uint8Array.from([1]), signature: Uint8Array.from([9]) }
    // a forwarded copy arrives in another RPC buffer: the id is of the bytes, not of the view
    const inBigger = new Uint8Array(from.length + seqno.length + 3)
    inBigger.set(from, 3)
    inBigger.set(seqno, 3 + from.length)
    const viewed = { from: inBigger.subarray(3, 3 + from.length), seqno: inBigger.subarray(3 + from.length), topic: 'plexi/members' }
    expect(fastMessageId(copy)).to.equal(fastMessageId({ from, seqno, topic: 'plexi/members' }))
    expect(fastMessageId(viewed)).to.equal(fastMessageId(copy))
  })

  it('should tell apart messages of another publisher or another sequence number', () => {
    const other = from.slice()
    other[other.length - 1] = 8
    const next = seqno.slice()
    next[7] = 2
    const ids = [fastMessageId({ from, seqno, topic: 't' }), fastMessageId({ from: other, seqno, topic: 't' }), fastMessageId({ from, seqno: next, topic: 't' })]
    expect(new Set(ids).size).to.equal(3)
  })

  it('should give a message without a publisher or a sequence number an id no signed message has', () => {
    const signed = fastMessageId({ from, seqno, topic: 't' })
    expect(fastMessageId({ topic: 't' })).to.not.equal(signed)
    expect(fastMessageId({ from, topic: 't' })).to.not.equal(signed)
    expect(fastMessageId({ seqno, topic: 't' })).to.not.equal(signed)
  })
})
