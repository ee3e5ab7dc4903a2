import { expect } from 'chai'
import { MAX_ACTOR_PATH_LENGTH, MAX_ASK_ID_LENGTH, MAX_NODE_ID_LENGTH } from '../../protocols/index.ts'
import { LIMITS } from '../../protocols/p2p/index.ts'

describe('limits', () => {
  it('should bound the addresses in messages as the peer wire bounds its envelopes', () => {
    expect(LIMITS).to.include({ peerId: MAX_NODE_ID_LENGTH, askId: MAX_ASK_ID_LENGTH, path: MAX_ACTOR_PATH_LENGTH })
  })
})
