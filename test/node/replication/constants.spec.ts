import { expect } from 'chai'
import * as c from '../../../node/replication/constants.ts'
import { MAX_FRAME_BYTES } from '../../../protocols/p2p/index.ts'

/** The limits of replication hold together: each bound that another one relies on is checked, so
 * that changing one alone fails here rather than on a cluster. */
describe('replication constants', () => {
  it('should let a hand-over ticket carry what one append request holds, and a ticket name every replica', () => {
    expect(c.HANDOVER_RECORDS).to.be.at.most(c.APPEND_BATCH_RECORDS)
    expect(c.MAX_TICKET_REPLICAS).to.be.at.least(c.DEFAULT_REPLICATION_FACTOR)
    expect(c.MAX_ACTIVATION_LENGTH).to.be.at.least(36)
  })

  it('should keep what a peer is asked for within what it answers, and an answer within a mesh frame', () => {
    // a level of a replica's tree fits one tree request, and a run of tree nodes too
    expect(2 ** c.REPLICA_MERKLE_DEPTH).to.be.at.most(c.MAX_TREE_HASHES)
    expect(c.TREE_RUN_MAX).to.be.at.most(c.MAX_TREE_HASHES)
    // span digests as hex strings (64 characters and a msgpack header each)
    expect(c.MAX_SPANS * 66).to.be.below(MAX_FRAME_BYTES)
    // spans split down to blocks: every span width is a whole number of blocks
    expect(c.SPAN_FANOUT % c.SPAN_BLOCK).to.equal(0)
    expect(c.SMALL_READ).to.be.at.most(c.READ_PAGE_RECORDS)
  })

  it('should keep the lease waits and backoffs in order', () => {
    expect(c.FENCE_BACKOFF_MIN_MS).to.be.below(c.FENCE_BACKOFF_MAX_MS)
    expect(c.RETRY_MIN_MS).to.be.below(c.RETRY_MAX_MS)
    expect(c.LEASE_CONTENTION_JITTER).to.be.within(0, 1)
    expect(c.DEFAULT_MAX_CLOCK_DRIFT).to.be.within(0, 0.1)
    // an owner in use renews at half its lease: a failover waits at most what is left of one
    expect(c.DEFAULT_LEASE_MS).to.be.below(c.DEFAULT_APPEND_TIMEOUT_MS)
    expect(c.LEASE_WAITS).to.be.at.least(2)
  })
})
