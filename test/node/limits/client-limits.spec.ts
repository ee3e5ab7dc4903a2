import { expect } from 'chai'
import { AuthThrottledError, ClientLimits, TooManyStreamsError } from '../../../node/limits/index.ts'
import type { ClientLimitsOptions } from '../../../node/limits/index.ts'
import { RateLimitedError } from '../../../protocols/index.ts'
import { thrown } from '../../helpers/thrown.ts'

describe('ClientLimits', () => {
  let clock = 0
  const limits = (opts: Partial<ClientLimitsOptions> = {}): ClientLimits =>
    new ClientLimits({ rate: 1, burst: 2, authFailures: 3, streams: 2, now: () => clock, ...opts })
  beforeEach(() => { clock = 0 })

  it('should let each address make its burst of requests, then refuse with how long to wait, counting refusals by endpoint', () => {
    const l = limits()
    l.request('grpc', '10.0.0.1')
    l.request('admin', '10.0.0.1')
    const err = thrown(() => { l.request('openai', '10.0.0.1') })
    expect(err).to.be.instanceOf(RateLimitedError)
    expect((err as RateLimitedError).retryAfterMs).to.equal(1000)
    expect((err as Error).message).to.equal('rate limit: at most 1 requests per second from one address (bursts of 2), and 10.0.0.1 is over it; retry in 1000 ms')
    // another address has its own bucket; an address in the same IPv6 /64 shares one
    l.request('grpc', '10.0.0.2')
    l.request('grpc', '2001:db8::1')
    l.request('grpc', '2001:db8::2')
    expect(thrown(() => { l.request('grpc', '2001:db8::3') })).to.be.instanceOf(RateLimitedError)
    clock = 1000
    l.request('grpc', '10.0.0.1')
    expect(l.stats.refused.openai.rate).to.equal(1)
    expect(l.stats.refused.grpc.rate).to.equal(1)
  })

  it('should give each user one budget wherever its requests come from, off when userRate is 0, and refuse bad options', () => {
    const l = limits({ userRate: 1, userBurst: 2 })
    l.userRequest('grpc', 'ann')
    l.userRequest('openai', 'ann')
    const err = thrown(() => { l.userRequest('admin', 'ann') })
    expect(err).to.be.instanceOf(RateLimitedError)
    expect((err as RateLimitedError).retryAfterMs).to.equal(1000)
    expect((err as Error).message).to.equal('rate limit: at most 1 requests per second per user (bursts of 2), and ann is over it; retry in 1000 ms')
    l.userRequest('grpc', 'bob')
    expect(l.stats.refused.admin['user-rate']).to.equal(1)
    clock = 1000
    l.userRequest('grpc', 'ann')
    // a long name is cut in the message
    const long = 'x'.repeat(500)
    l.userRequest('grpc', long)
    l.userRequest('grpc', long)
    expect((thrown(() => { l.userRequest('grpc', long) }) as Error).message.length).to.be.below(200)
    const off = limits()
    for (let i = 0; i < 1000; i++) off.userRequest('grpc', 'ann')
    expect(thrown(() => limits({ userRate: -1 }))).to.be.instanceOf(RangeError)
    expect(thrown(() => limits({ userRate: 1, userBurst: 0 }))).to.be.instanceOf(RangeError)
  })

  it('should refuse an address\'s attempts before any token is checked once it failed too often, and count only failures', () => {
    const l = limits({ authFailures: 3, authFailuresPerSecond: 0.001 })
    for (let i = 0; i < 10; i++) l.checkAuthentication('admin', '10.0.0.1')   // checks cost nothing
    for (let i = 0; i < 3; i++) {
      l.checkAuthentication('admin', '10.0.0.1')
      l.failedAuthentication('admin', '10.0.0.1')
    }
    const err = thrown(() => { l.checkAuthentication('grpc', '10.0.0.1') })
    expect(err).to.be.instanceOf(AuthThrottledError)
    expect((err as Error).message).to.equal('too many failed authentications from 10.0.0.1; retry in 1000 s')
    expect((err as AuthThrottledError).retryAfterMs).to.equal(1_000_000)
    l.checkAuthentication('grpc', '10.0.0.2')
    expect(l.stats.failedAuthentications.admin).to.equal(3)
    expect(l.stats.refused.grpc['auth-failures']).to.equal(1)
    clock = 1_000_000
    l.checkAuthentication('grpc', '10.0.0.1')
  })

  it('should refill failed authentications at authFailures a minute by default', () => {
    const l = limits({ authFailures: 6 })
    for (let i = 0; i < 6; i++) l.failedAuthentication('openai', '10.0.0.1')
    expect(thrown(() => { l.checkAuthentication('openai', '10.0.0.1') })).to.be.instanceOf(AuthThrottledError)
    clock = 9_999
    expect(thrown(() => { l.checkAuthentication('openai', '10.0.0.1') })).to.be.instanceOf(AuthThrottledError)
    clock = 10_000
    l.checkAuthentication('openai', '10.0.0.1')
  })

  it('should cap the streams an address holds, and free a slot once per stream however often it is closed', () => {
    const l = limits({ streams: 2 })
    const first = l.openStream('grpc', '10.0.0.1')
    l.openStream('admin', '10.0.0.1')
    const err = thrown(() => l.openStream('openai', '10.0.0.1'))
    expect(err).to.be.instanceOf(TooManyStreamsError)
    expect((err as Error).message).to.equal('at most 2 streams may be open at once from one address on this node, and 10.0.0.1 has 2; close one first')
    l.openStream('grpc', '10.0.0.2')
    expect(l.stats.streamsOpen).to.equal(3)
    first()
    first()
    expect(l.streamsOf('10.0.0.1')).to.equal(1)
    expect(l.stats.streamsOpen).to.equal(2)
    l.openStream('grpc', '10.0.0.1')
    expect(l.stats.refused.openai.streams).to.equal(1)
  })

  it('should limit nothing with rate, authFailures and streams 0', () => {
    const l = limits({ rate: 0, authFailures: 0, streams: 0 })
    for (let i = 0; i < 1000; i++) {
      l.request('grpc', '10.0.0.1')
      l.failedAuthentication('grpc', '10.0.0.1')
      l.checkAuthentication('grpc', '10.0.0.1')
      l.openStream('grpc', '10.0.0.1')
    }
    expect(l.stats.failedAuthentications.grpc).to.equal(1000)
    expect(l.streamsOf('10.0.0.1')).to.equal(1000)
  })

  it('should refuse nonsense settings, saying what was expected', () => {
    for (const [opts, says] of [
      [{ rate: -1 }, /rate must be a number >= 0/],
      [{ rate: Number.NaN }, /rate must be a number >= 0/],
      [{ rate: Infinity }, /rate must be a number >= 0/],
      [{ burst: 0 }, /burst must be an integer >= 1/],
      [{ burst: 1.5 }, /burst must be an integer >= 1/],
      [{ authFailures: -1 }, /authFailures must be an integer >= 0/],
      [{ authFailures: 2, authFailuresPerSecond: 0 }, /authFailuresPerSecond must be > 0/],
      [{ streams: 0.5 }, /streams must be an integer >= 0/]
    ] as const) {
      expect(() => limits(opts), JSON.stringify(opts)).to.throw(RangeError, says)
    }
  })
})
