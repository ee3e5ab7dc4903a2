import { expect } from 'chai'
import { MAX_ACTOR_PATH_LENGTH, MAX_ASK_ID_LENGTH, MAX_NODE_ID_LENGTH } from '../../../protocols/index.ts'
import {
  ACTOR_PROTOCOL, EARLY_WRITE, EARLY_WRITE_MAX_TURN, ENVELOPE, FRAME_BATCH, LIMITS, MAX_ENVELOPES_PER_FRAME, MAX_FRAME_BYTES, MAX_PROBE_FRAME_BYTES,
  MAX_PROBE_MISSED, MAX_QUEUED_BYTES, PROBE_CHANNEL_PROTOCOL, PROBE_PROTOCOL, WRITE_BYTES
} from '../../../protocols/p2p/index.ts'

describe('p2p constants', () => {
  it('should version every protocol id under /plexi/', () => {
    for (const id of [ACTOR_PROTOCOL, PROBE_PROTOCOL, PROBE_CHANNEL_PROTOCOL]) expect(id).to.match(/^\/plexi\/[a-z-]+\/\d+\.\d+\.\d+$/)
    expect(ACTOR_PROTOCOL).to.not.equal(PROBE_PROTOCOL)
    expect(new Set([ACTOR_PROTOCOL, PROBE_PROTOCOL, PROBE_CHANNEL_PROTOCOL]).size).to.equal(3)
  })

  it('should keep batches within what a frame may hold, and a write within one noise message', () => {
    expect(FRAME_BATCH).to.be.at.most(MAX_ENVELOPES_PER_FRAME)
    expect(EARLY_WRITE).to.be.at.most(EARLY_WRITE_MAX_TURN)
    expect(WRITE_BYTES).to.be.at.most(65_535)
    expect(MAX_FRAME_BYTES).to.be.at.most(MAX_QUEUED_BYTES)
  })

  it('should check envelope fields against the limits every node shares', () => {
    expect(LIMITS).to.include({ path: MAX_ACTOR_PATH_LENGTH, peerId: MAX_NODE_ID_LENGTH, askId: MAX_ASK_ID_LENGTH })
    expect(new Set(Object.values(ENVELOPE)).size).to.equal(Object.keys(ENVELOPE).length)
  })

  it('should keep a probe frame small, and a missed count within one byte', () => {
    expect(MAX_PROBE_FRAME_BYTES).to.be.at.most(1024)
    expect(MAX_PROBE_MISSED).to.equal(255)
  })
})
