import { expect } from 'chai'
import { MAX_BACKUP_NOTE, MAX_LOCK_MS } from '../../../actors/index.ts'
import * as c from '../../../node/backup/constants.ts'
import { SERVICE_BACKOFF_FIRST_MS } from '../../../node/services/index.ts'

/** The limits of the backup folder, checked against each other: each why-comment's claim. */
describe('backup constants', () => {
  it('should fit every chunk a chunker may cut, sealed, into one put and one frame', () => {
    expect(c.DEFAULT_MIN_CHUNK_BYTES).to.be.at.least(c.CHUNK_SIZE_FLOOR)
    expect(c.DEFAULT_MIN_CHUNK_BYTES).to.be.below(c.DEFAULT_AVG_CHUNK_BYTES)
    expect(c.DEFAULT_AVG_CHUNK_BYTES).to.be.below(c.DEFAULT_MAX_CHUNK_BYTES)
    expect(c.DEFAULT_MAX_CHUNK_BYTES + c.CHUNK_OVERHEAD_BYTES).to.be.at.most(c.MAX_PUT_BYTES)
    // a p2p frame is at most 4 MiB, and a put carries ids and digests besides its bytes
    expect(c.MAX_PUT_BYTES).to.be.below(4 * 1_048_576)
    expect(c.CHUNK_OVERHEAD_BYTES).to.equal(1 + 12 + 16)
    expect(c.MAX_STORE_BATCH_BYTES).to.equal(c.CHUNK_SIZE_CEILING + c.CHUNK_OVERHEAD_BYTES)
  })

  it('should lay a pack record header out as the format says, and read a scan page of several', () => {
    // [magic 4][kind 1][id 32][digest 32][length 4][checksum 4]
    expect(c.PACK_RECORD_HEADER_BYTES).to.equal(c.PACK_RECORD_MAGIC.length + 1 + 32 + 32 + 4 + 4)
    expect(c.PACK_SCAN_READ_BYTES).to.be.at.least(10 * c.PACK_RECORD_HEADER_BYTES)
    expect(c.PACK_RECORD_PUT).to.not.equal(c.PACK_RECORD_REMOVE)
    expect(c.CHALLENGE_NONCE_MIN_BYTES).to.be.at.least(16)
    expect(c.CHALLENGE_NONCE_MAX_BYTES).to.equal(64)
  })

  it('should renew the catalog lock well within its term, and ask for no more than the catalog grants', () => {
    expect(c.LOCK_MS).to.be.at.most(MAX_LOCK_MS)
    // two renewals may fail, each retried after its backoff, before the lock lapses
    expect(c.LOCK_MS / 3 + SERVICE_BACKOFF_FIRST_MS).to.be.below(c.LOCK_MS)
  })

  it('should keep a job\'s waits in order: an ask within its patience, a hold ask within the hold\'s own end', () => {
    expect(c.CATALOG_ASK_MS).to.be.below(c.CATALOG_PATIENCE_MS)
    expect(c.CATALOG_RETRY_FIRST_MS).to.be.below(c.CATALOG_RETRY_MAX_MS)
    expect(c.HOLD_ASK_MS).to.be.below(c.HOLD_MAX_MS)
    expect(c.HOLD_BUSY_MS + c.HOLD_GRACE_MS).to.be.below(c.HOLD_ASK_MS)
    expect(c.MAX_MANIFEST_NOTE).to.equal(MAX_BACKUP_NOTE)
    expect(c.CATALOG_ERROR_CHARS).to.equal(2_000)
    expect(c.SCHEDULE_CHECK_MS).to.be.at.least(c.RESUME_CHECK_MS)
  })
})
