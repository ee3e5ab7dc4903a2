import { expect } from 'chai'
import { LEASE_SWEEP_GRANTS } from '../../../../node/replication/constants.ts'
import { ReplicaLeases } from '../../../../node/replication/replica/replica-leases.ts'

/** The leases one replica granted, on a clock the test moves (docs/replication.md, "Leases"). */
describe('ReplicaLeases', () => {
  let now = 0
  const leasesOf = (leaseMs = 1_000, startedAt = -10_000): ReplicaLeases => new ReplicaLeases({ leaseMs, clock: () => now, startedAt })
  beforeEach(() => { now = 100_000 })

  it('should hold back another activation\'s fence until the holder\'s lease ends, never its own', () => {
    const leases = leasesOf()
    leases.grant('room/a', 5, 'h1', 'act-1')
    now += 250
    expect(leases.wait('room/a', 5, 'act-2')).to.equal(750)
    expect(leases.wait('room/a', 5, 'act-1')).to.equal(0)
    // a grant renews it
    leases.grant('room/a', 5, 'h1', 'act-1')
    now += 900
    expect(leases.wait('room/a', 5, 'act-2')).to.equal(100)
    now += 100
    expect(leases.wait('room/a', 5, 'act-2')).to.equal(0)
  })

  it('should let go of a released holder\'s lease and every lease of an entity whose epoch ended', () => {
    const leases = leasesOf()
    leases.grant('room/a', 5, 'h1', 'act-1')
    leases.grant('room/a', 5, 'h2', 'act-1')
    leases.release('room/a', 'h1')
    expect(leases.wait('room/a', 5, 'act-2')).to.equal(1_000)
    leases.end('room/a')
    expect(leases.wait('room/a', 5, 'act-2')).to.equal(0)
    // a grant in another epoch replaces the leases of the one before
    leases.grant('room/b', 5, 'h1', 'act-1')
    leases.grant('room/b', 6, 'h3', 'act-3')
    expect(leases.wait('room/b', 6, 'act-3')).to.equal(0)
  })

  it('should wait one lease after a restart for an entity that had a promise, and grant nothing without leases', () => {
    const restarted = leasesOf(1_000, now)
    expect(restarted.wait('room/a', 3, 'act')).to.equal(1_000)
    expect(restarted.wait('room/never', 0, 'act')).to.equal(0)
    const none = leasesOf(0)
    none.grant('room/a', 1, 'h', 'act-1')
    expect(none.wait('room/a', 1, 'act-2')).to.equal(0)
    expect(none.entities).to.equal(0)
  })

  it('should forget expired leases of idle entities as grants go on', () => {
    const leases = leasesOf()
    leases.grant('room/idle', 1, 'h', 'act')
    now += 2_000
    for (let i = 0; i < LEASE_SWEEP_GRANTS; i++) leases.grant('room/busy', 1, 'h', 'act')
    expect(leases.entities).to.equal(1)
  })
})
