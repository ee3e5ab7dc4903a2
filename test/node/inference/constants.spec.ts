import { expect } from 'chai'
import { ANSWER_TIMEOUT_MS, INCOMING_IDLE_MS, KV_ASK_MS, KV_CHUNK_BYTES, LIVENESS_MS, MAX_INCOMING, MAX_TEXT_BYTES } from '../../../node/inference/index.ts'
import { MAX_FRAME_BYTES } from '../../../protocols/p2p/index.ts'

describe('inference constants', () => {
  it('should fit a KV cache chunk and a forwarded conversation in one frame of the mesh', () => {
    expect(KV_CHUNK_BYTES).to.be.below(MAX_FRAME_BYTES)
    expect(MAX_TEXT_BYTES).to.be.at.most(MAX_FRAME_BYTES)
  })

  it('should keep the timings in the order their comments promise', () => {
    // an idle transfer is dropped only long after its sender's ask gave up
    expect(INCOMING_IDLE_MS).to.be.above(KV_ASK_MS)
    // a member found down ends a forwarded answer long before its timeout
    expect(LIVENESS_MS).to.be.below(ANSWER_TIMEOUT_MS / 1_000)
    expect(MAX_INCOMING).to.be.at.least(1)
  })
})
