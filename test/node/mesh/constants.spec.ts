import { expect } from 'chai'
import {
  ASK_SWEEP_MS, DIAL_TIMEOUT_MS, FORWARDED_ASK_MS, GOSSIP_QUIET_MS, GOSSIP_RESET_MAX_MS, GOSSIP_RESET_MIN_MS, HEARTBEAT_MAX_MS, HEARTBEAT_MIN_MS,
  JOIN_REDIAL_MAX_MS, MEMBER_DIAL_TIMEOUT_MS, MEMBER_REDIAL_MAX_MS, PROBE_INTERVAL_MAX_MS, PSK_HEADER, REDIAL_MIN_MS, probeTiming
} from '../../../node/mesh/constants.ts'

describe('mesh constants', () => {
  it('should derive every probe timing from the failure timeout, within bounds', () => {
    expect(probeTiming(3_000)).to.deep.equal({ failureTimeoutMs: 3_000, intervalMs: 500, timeoutMs: 750, indirectTimeoutMs: 1_500 })
    expect(probeTiming(600_000).intervalMs, 'probed at least every second').to.equal(1_000)
    expect(probeTiming(200)).to.deep.include({ intervalMs: 50, timeoutMs: 50 })
    expect(() => probeTiming(0)).to.throw(RangeError)
  })

  it('should fit a round of probes (a direct probe, then indirect ones) within the failure timeout, whatever it is', () => {
    for (const f of [200, 1_500, 3_000, 10_000, 600_000]) {
      const t = probeTiming(f)
      expect(t.timeoutMs + t.indirectTimeoutMs, `F=${f}`).to.be.at.most(Math.max(f, 150))
      expect(t.intervalMs, `F=${f}`).to.be.at.most(PROBE_INTERVAL_MAX_MS)
    }
  })

  it('should keep the redial and gossip timings in the order their comments promise', () => {
    expect(REDIAL_MIN_MS).to.be.below(MEMBER_REDIAL_MAX_MS)
    expect(MEMBER_REDIAL_MAX_MS).to.be.at.most(JOIN_REDIAL_MAX_MS)
    // a member dial outlasts the SYN Linux resends after 1 s; a join dial outlasts a slow handshake
    expect(MEMBER_DIAL_TIMEOUT_MS).to.be.above(1_000)
    expect(DIAL_TIMEOUT_MS).to.be.at.least(MEMBER_DIAL_TIMEOUT_MS)
    expect(HEARTBEAT_MIN_MS).to.be.below(HEARTBEAT_MAX_MS)
    expect(GOSSIP_QUIET_MS).to.be.above(HEARTBEAT_MAX_MS)
    expect(GOSSIP_RESET_MIN_MS).to.be.below(GOSSIP_RESET_MAX_MS)
    expect(ASK_SWEEP_MS).to.be.below(FORWARDED_ASK_MS)
    expect(PSK_HEADER).to.equal('/key/swarm/psk/1.0.0/')
  })
})
