import { expect } from 'chai'
import { transportStats } from '../../../node/mesh/transport-stats.ts'

describe('transportStats', () => {
  it('should start every counter of a new transport at zero, each call a counter set of its own', () => {
    const a = transportStats()
    const b = transportStats()
    const { envelopeKinds, ...counters } = a
    expect(counters).to.deep.equal({ writes: 0, framesSent: 0, framesReceived: 0, envelopesSent: 0, envelopesReceived: 0, forwarded: 0, entityMessages: 0, framesRefused: 0 })
    expect([...envelopeKinds.entries()]).to.deep.equal([])
    a.writes++
    expect(b.writes).to.equal(0)
  })
})
