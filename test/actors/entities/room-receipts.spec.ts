import { expect } from 'chai'
import { RECENT_POSTERS, RECENT_POST_IDS_PER_USER } from '../../../actors/index.ts'
import { receiptOf, remember } from '../../../actors/entities/room-receipts.ts'

describe('room receipts', () => {
  it('should keep each user\'s last ids, for the users who posted with one most recently, and find a receipt by user and id', () => {
    let posts = {}
    for (let i = 1; i <= RECENT_POST_IDS_PER_USER + 2; i++) posts = remember(posts, 'ann', { clientId: `c-${i}`, seq: i, ts: i })
    const state = { createdAt: 1, members: [], recentPosts: posts }
    expect(receiptOf(state, 'ann', 'c-1')).to.equal(undefined)
    expect(receiptOf(state, 'ann', `c-${RECENT_POST_IDS_PER_USER + 2}`)?.seq).to.equal(RECENT_POST_IDS_PER_USER + 2)
    expect(receiptOf(state, 'bob', 'c-3')).to.equal(undefined)
    expect(receiptOf(state, 'constructor', 'c-3')).to.equal(undefined)
    for (let u = 0; u < RECENT_POSTERS; u++) posts = remember(posts, `u${u}`, { clientId: 'x', seq: 100 + u, ts: 1 })
    expect(Object.keys(posts)).to.have.length(RECENT_POSTERS)
    expect(Object.hasOwn(posts, 'ann')).to.equal(false)
  })
})
