import { expect } from 'chai'
import { MAX_RETENTION_DAYS, checkRetentionPolicyMsg, isRoomRetention } from '../../../actors/index.ts'

describe('retention policy protocol', () => {
  it('should take days and/or posts, whole and in range, at least one', () => {
    expect(isRoomRetention({ days: 1 })).to.equal(true)
    expect(isRoomRetention({ posts: 5, days: MAX_RETENTION_DAYS })).to.equal(true)
    for (const bad of [{}, { days: MAX_RETENTION_DAYS + 1 }, { posts: 0 }, { days: '3' }, [], null, { days: 1, x: 1 }]) expect(isRoomRetention(bad), JSON.stringify(bad)).to.equal(false)
  })

  it('should refuse a bad room or setting naming the field', () => {
    const replyTo = { askId: 'a1', node: 'n1' }
    expect(() => { checkRetentionPolicyMsg({ type: 'set', room: 'general', setting: 'forever', replyTo }) }).not.to.throw()
    expect(() => { checkRetentionPolicyMsg({ type: 'set', room: 'general', setting: null, replyTo }) }).not.to.throw()
    expect(() => { checkRetentionPolicyMsg({ type: 'set', room: 'general', setting: { days: -1 }, replyTo }) }).to.throw(/setting: expected null, 'forever' or/)
    expect(() => { checkRetentionPolicyMsg({ type: 'set', room: 'Bad Room', setting: null, replyTo }) }).to.throw(/room: expected a room name/)
  })
})
