import { expect } from 'chai'
import { RETRY_AFTER_KEY, STATUS_DETAILS_KEY, decodeRetryStatus, encodeRetryStatus, loadRetryInfoTypes } from '../../../protocols/grpc/index.ts'

describe('retry-info', () => {
  const root = loadRetryInfoTypes()

  it('should carry the retry delay in a google.rpc.Status, to the millisecond, and read it back', () => {
    for (const ms of [0, 1, 999, 1000, 2500, 90_061]) {
      const decoded = decodeRetryStatus(root, encodeRetryStatus(root, 8, 'slow down', ms))
      expect(decoded, String(ms)).to.deep.equal({ code: 8, message: 'slow down', retryAfterMs: ms })
    }
    // a fraction of a millisecond is rounded up: never earlier than asked
    expect(decodeRetryStatus(root, encodeRetryStatus(root, 8, 'x', 1.2)).retryAfterMs).to.equal(2)
  })

  it('should read a status without RetryInfo as having no delay', () => {
    const Status = root.lookupType('google.rpc.Status')
    const bare = Status.encode(Status.create({ code: 14, message: 'down' })).finish()
    expect(decodeRetryStatus(root, bare)).to.deep.equal({ code: 14, message: 'down', retryAfterMs: undefined })
  })

  it('should use the standard details key and its own plain twin', () => {
    expect(STATUS_DETAILS_KEY).to.equal('grpc-status-details-bin')
    expect(RETRY_AFTER_KEY).to.equal('retry-after-ms')
  })
})
