import { expect } from 'chai'
import { EntityLeaseHeldError, TakeAbandonedError } from '../../../node/replication/lease-errors.ts'

describe('lease errors', () => {
  it('should say how long a new activation waited for a lease that kept being renewed', () => {
    const err = new EntityLeaseHeldError('room/a', 3_600.4)
    expect(err).to.include({ name: 'EntityLeaseHeldError', kind: 'unavailable', waitedMs: 3_600.4 })
    expect(err.message).to.match(/^room\/a: another owner keeps renewing its lease on it \(waited 3600 ms\)/)
  })

  it('should mark an abandoned take superseded, so that what waited for it is sent again', () => {
    const err = new TakeAbandonedError('room/a')
    expect(err).to.include({ name: 'TakeAbandonedError', kind: 'unavailable', superseded: true })
    expect(err.stack).to.equal(`TakeAbandonedError: ${err.message}`)
  })
})
