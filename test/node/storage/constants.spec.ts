import { expect } from 'chai'
import { DEFAULT_SYNC, MAX_BATCH_OPS, READABLE_FORMATS, RUN_SPREAD, SEAL_HEADER_BYTES, STORE_FORMAT } from '../../../node/storage/constants.ts'

describe('storage constants', () => {
  it('should open the format it writes and the one it upgrades, and fsync by default', () => {
    expect(READABLE_FORMATS).to.include(STORE_FORMAT)
    expect(READABLE_FORMATS).to.include('plexi-store/1')
    expect(DEFAULT_SYNC).to.equal(true)
    // a seal id and a SHA-256
    expect(SEAL_HEADER_BYTES).to.equal(33)
    expect(MAX_BATCH_OPS).to.be.at.least(256)
    expect(RUN_SPREAD).to.be.at.least(1)
  })
})
