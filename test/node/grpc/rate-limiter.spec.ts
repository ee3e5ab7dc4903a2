import { expect } from 'chai'
import { RateLimiter } from '../../../node/grpc/rate-limiter.ts'

describe('RateLimiter', () => {
  it('should allow a burst, then one token per 1/rate seconds, saying how long to wait', () => {
    const limiter = new RateLimiter({ rate: 2, burst: 3 })
    expect([0, 0, 0].map(() => limiter.take('alice', 0).ok)).to.deep.equal([true, true, true])
    expect(limiter.take('alice', 0)).to.deep.equal({ ok: false, retryAfterMs: 500 })
    expect(limiter.take('alice', 250)).to.deep.equal({ ok: false, retryAfterMs: 250 })
    expect(limiter.take('alice', 500).ok).to.equal(true)
    expect(limiter.take('bob', 500).ok).to.equal(true)
    expect(limiter.take('alice', 10_000).ok).to.equal(true)
  })

  it('should keep a bounded number of buckets, forgetting the least recently used (a forgotten bucket is a full one)', () => {
    const limiter = new RateLimiter({ rate: 1, burst: 1, maxKeys: 2 })
    expect(limiter.take('a', 0).ok).to.equal(true)
    expect(limiter.take('b', 0).ok).to.equal(true)
    expect(limiter.take('c', 0).ok).to.equal(true)
    expect(limiter.take('a', 0).ok).to.equal(true)
    expect(limiter.take('c', 0).ok).to.equal(false)
  })

  it('should refuse nonsense settings', () => {
    expect(() => new RateLimiter({ rate: 0, burst: 1 })).to.throw(/rate > 0/)
    expect(() => new RateLimiter({ rate: 1, burst: 0 })).to.throw(/burst >= 1/)
  })
})
