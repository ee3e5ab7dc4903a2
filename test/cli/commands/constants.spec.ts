import { expect } from 'chai'
import { MAX_CERT_HOSTS, REPEAT_SIGNAL_MS } from '../../../cli/commands/constants.ts'

describe('commands constants', () => {
  it('should take a second signal as someone insisting only well after the first (a double delivery comes within milliseconds)', () => {
    expect(REPEAT_SIGNAL_MS).to.be.within(100, 5_000)
  })

  it('should let a certificate name a lab\'s hosts, not a fleet\'s', () => {
    expect(MAX_CERT_HOSTS).to.be.within(10, 1_000)
  })
})
