import { expect } from 'chai'
import { RateLimiter } from '../../../node/limits/rate-limiter.ts'

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

  it('should say whether a key has a token without taking it', () => {
    const limiter = new RateLimiter({ rate: 1, burst: 2 })
    expect([0, 0, 0].map(() => limiter.check('alice', 0).ok)).to.deep.equal([true, true, true])
    expect(limiter.size).to.equal(0)
    limiter.take('alice', 0)
    limiter.take('alice', 0)
    expect(limiter.check('alice', 0)).to.deep.equal({ ok: false, retryAfterMs: 1000 })
    expect(limiter.check('alice', 1000).ok).to.equal(true)
  })

  it('should charge a token after the fact into debt, at most a burst deep, making the wait longer', () => {
    const limiter = new RateLimiter({ rate: 1, burst: 2 })
    for (let i = 0; i < 10; i++) limiter.charge('mallory', 0)
    // two tokens, then two of debt: three seconds until one is there again
    expect(limiter.check('mallory', 0)).to.deep.equal({ ok: false, retryAfterMs: 3000 })
    expect(limiter.check('mallory', 2999).ok).to.equal(false)
    expect(limiter.check('mallory', 3000).ok).to.equal(true)
  })

  it('should refill nothing when the clock goes back', () => {
    const limiter = new RateLimiter({ rate: 1, burst: 1 })
    limiter.take('a', 5000)
    expect(limiter.take('a', 0)).to.deep.equal({ ok: false, retryAfterMs: 1000 })
  })

  it('should refuse nonsense settings', () => {
    expect(() => new RateLimiter({ rate: 0, burst: 1 })).to.throw(/rate > 0/)
    expect(() => new RateLimiter({ rate: 1, burst: 0 })).to.throw(/burst >= 1/)
    expect(() => new RateLimiter({ rate: 1, burst: 1, maxKeys: 0 })).to.throw(/maxKeys >= 1/)
  })
})
