import { expect } from 'chai'
import {
  ADMIN_REQUEST_TIMEOUT_MS, CALL_TIMEOUT_MS, DEFAULT_CERT_DAYS, FOLLOW_INTERVAL_MS, LEFT_SHOWN, MAX_CERT_DAYS, POST_RETRY_DELAYS_MS, RECONNECT_MAX_MS, RECONNECT_MIN_MS
} from '../../cli/constants.ts'

describe('cli constants', () => {
  it('should retry a post of unknown outcome a few times, waiting longer each time, a few seconds in all', () => {
    expect(POST_RETRY_DELAYS_MS.length).to.be.at.least(2)
    for (let i = 1; i < POST_RETRY_DELAYS_MS.length; i++) expect(POST_RETRY_DELAYS_MS[i]).to.be.greaterThan(POST_RETRY_DELAYS_MS[i - 1] as number)
    expect(POST_RETRY_DELAYS_MS.reduce((a, b) => a + b, 0)).to.be.within(1_000, 10_000)
  })

  it('should reconnect quickly at first and back off to a few seconds', () => {
    expect(RECONNECT_MIN_MS).to.be.below(RECONNECT_MAX_MS)
    expect(RECONNECT_MAX_MS).to.be.at.most(10_000)
  })

  it('should give calls and requests long enough for a busy node, and follow jobs several times a second', () => {
    expect(CALL_TIMEOUT_MS).to.be.at.least(5_000)
    expect(ADMIN_REQUEST_TIMEOUT_MS).to.be.at.least(5_000)
    expect(FOLLOW_INTERVAL_MS).to.be.within(100, 1_000)
    expect(LEFT_SHOWN).to.be.within(1, 50)
  })

  it('should make lab certificates valid for a year by default and at most ten', () => {
    expect(DEFAULT_CERT_DAYS).to.equal(365)
    expect(MAX_CERT_DAYS).to.be.at.least(DEFAULT_CERT_DAYS)
    expect(MAX_CERT_DAYS).to.be.at.most(3650)
  })
})
