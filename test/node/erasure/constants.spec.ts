import { expect } from 'chai'
import { ERASE_ROOM_ASK_MS, MAX_COMPACT_ENTITIES, MEMBER_ASK_MS, RETENTION_ROOM_ASK_MS, ROOM_CONCURRENCY } from '../../../node/erasure/index.ts'

describe('erasure constants', () => {
  it('should give a room longer than a member, and bound the work in flight', () => {
    expect(ERASE_ROOM_ASK_MS).to.be.at.least(RETENTION_ROOM_ASK_MS)
    expect(MEMBER_ASK_MS).to.be.at.most(ERASE_ROOM_ASK_MS)
    expect(ROOM_CONCURRENCY).to.be.within(1, 64)
    expect(MAX_COMPACT_ENTITIES).to.be.within(1, 10_000)
  })
})
