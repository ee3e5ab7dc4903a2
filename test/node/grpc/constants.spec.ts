import { expect } from 'chai'
import {
  AGENT_HISTORY_DEFAULT, CHAT_HISTORY_DEFAULT, HISTORY_PAGE, MAX_DETAILS, MAX_PENDING_LIVE, MAX_RECEIVE_BYTES, MAX_STATUS_BYTES, MAX_STREAMS_PER_USER,
  MAX_UNDECODABLE_REASON, RESUBSCRIBE_MS, RESUBSCRIBE_RETRY_MS, SUPERSEDED_RESEND_MS
} from '../../../node/grpc/constants.ts'
import { MAX_AGENT_TURNS, MAX_HISTORY_LIMIT } from '../../../protocols/index.ts'

const sum = (ms: readonly number[]): number => ms.reduce((a, b) => a + b, 0)

describe('gRPC constants', () => {
  it('should give history defaults a request could also ask for, when a request asks for 0', () => {
    expect(CHAT_HISTORY_DEFAULT).to.be.within(1, MAX_HISTORY_LIMIT)
    expect(AGENT_HISTORY_DEFAULT).to.be.within(1, MAX_AGENT_TURNS)
    expect(HISTORY_PAGE).to.be.within(1, MAX_HISTORY_LIMIT)
  })

  it('should resend and retry with growing waits that end within their bounds, so that a failover is waited out and the periodic renewal takes over', () => {
    for (const waits of [SUPERSEDED_RESEND_MS, RESUBSCRIBE_RETRY_MS]) {
      for (let i = 1; i < waits.length; i++) expect(waits[i]).to.be.at.least(waits[i - 1] as number)
    }
    // about 4 s of resends: past a failover's lease wait, short of a client's deadline
    expect(sum(SUPERSEDED_RESEND_MS)).to.be.within(3_000, 10_000)
    // the retries of a renewal end before the next periodic renewal
    expect(sum(RESUBSCRIBE_RETRY_MS)).to.be.lessThan(RESUBSCRIBE_MS)
  })

  it('should keep every status message within what a header carries, and requests and streams bounded', () => {
    expect(MAX_DETAILS).to.be.lessThan(MAX_STATUS_BYTES)
    expect(MAX_UNDECODABLE_REASON).to.be.lessThan(MAX_DETAILS)
    // percent-encoded (3 characters a byte), far below HTTP/2's usual 16 KiB header list
    expect(3 * MAX_STATUS_BYTES).to.be.at.most(16 * 1024)
    expect(MAX_RECEIVE_BYTES).to.be.within(1024 * 1024, 64 * 1024 * 1024)
    expect(MAX_STREAMS_PER_USER).to.be.within(1, 1024)
    expect(MAX_PENDING_LIVE).to.be.at.least(HISTORY_PAGE)
  })
})
