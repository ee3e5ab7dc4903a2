import { expect } from 'chai'
import { UsageLimiter } from '../../../node/inference/usage-limiter.ts'

describe('UsageLimiter', () => {
  it('should admit a user\'s requests per minute, then refuse with the wait until one refills', () => {
    const limiter = new UsageLimiter({ requestsPerMin: 2, tokensPerMin: 1000 })
    limiter.admit('alice', 0)
    limiter.admit('alice', 0)
    const refused = catchError(() => { limiter.admit('alice', 0) })
    expect(refused).to.include({ name: 'RateLimitedError', retryAfterMs: 30_000 })
    expect(refused?.message).to.match(/at most 2 inference requests per minute; retry in 30 s/)
    limiter.admit('bob', 0)   // others are not affected
    limiter.admit('alice', 30_000)
  })

  it('should charge generated tokens after the fact and refuse while the user is in debt', () => {
    const limiter = new UsageLimiter({ requestsPerMin: 100, tokensPerMin: 600 })
    limiter.admit('alice', 0)
    limiter.charge('alice', 900, 0)   // one long answer may overdraw
    const refused = catchError(() => { limiter.admit('alice', 0) })
    expect(refused?.name).to.equal('RateLimitedError')
    expect(refused?.retryAfterMs).to.be.closeTo(30_100, 1)   // back above zero: 301 tokens at 10 per second
    expect(refused?.message).to.match(/at most 600 generated tokens per minute/)
    limiter.admit('alice', 30_200)
  })

  it('should refuse nonsense limits', () => {
    expect(() => new UsageLimiter({ requestsPerMin: 0, tokensPerMin: 10 })).to.throw(RangeError)
  })
})

function catchError (fn: () => void): (Error & { retryAfterMs?: number }) | undefined {
  try {
    fn()
  } catch (err) {
    return err as Error
  }
  return undefined
}
