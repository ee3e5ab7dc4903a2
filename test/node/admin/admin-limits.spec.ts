import { once } from 'node:events'
import type { AddressInfo } from 'node:net'
import { expect } from 'chai'
import type { AuditRecord } from '../../../actors/index.ts'
import { TrustedProxies } from '../../../node/limits/index.ts'
import type { ClientLimitsOptions } from '../../../node/limits/index.ts'
import { ADMIN_TOKEN as TOKEN, AdminFixture } from '../../helpers/admin-fixture.ts'
import { EventReader } from '../../helpers/event-reader.ts'
import { NEVER, WatchedLimits } from '../../helpers/watched-limits.ts'

describe('buildAdminServer: limits per client address', () => {
  const f = new AdminFixture()
  let limits: WatchedLimits
  beforeEach(async () => { await f.setup() })
  afterEach(async () => { await f.teardown() })

  /** The fixture's admin endpoint behind these limits (the rest off). */
  async function limit (opts: Partial<ClientLimitsOptions>): Promise<void> {
    limits = new WatchedLimits({ rate: 0, burst: 1, authFailures: 0, streams: 0, ...opts })
    f.metrics.watchClientLimits(limits.stats)
    f.clients = limits
    await f.build()
  }
  /** `token` null: none sent. */
  const request = async (method: 'GET' | 'POST', url: string, { token = TOKEN as string | null, from = '127.0.0.1', payload = undefined as object | undefined } = {}) =>
    await f.app.inject({ method, url, remoteAddress: from, headers: token === null ? {} : { authorization: `Bearer ${token}` }, ...(payload !== undefined && { payload }) })
  /** The trail, read from an address no test limits. */
  const records = async (): Promise<AuditRecord[]> => ((await request('GET', '/api/v1/audit?limit=1000', { from: '10.9.9.9' })).json() as { records: AuditRecord[] }).records

  it('should refuse an address over its rate with 429 RATE_LIMITED and retry-after on /api/v1, /metrics and the dashboard, never on the probes', async () => {
    await limit({ rate: NEVER, burst: 3 })
    expect((await request('POST', '/api/v1/users', { payload: { name: 'alice' } })).statusCode).to.equal(201)
    expect((await request('GET', '/metrics')).statusCode).to.equal(200)
    expect((await request('GET', '/')).statusCode).to.equal(200)
    const limited = await request('GET', '/api/v1/cluster')
    expect(limited.statusCode).to.equal(429)
    expect(Number(limited.headers['retry-after'])).to.be.greaterThan(900)
    expect(limited.json()).to.deep.include({ statusCode: 429, code: 'RATE_LIMITED', error: 'Too Many Requests' })
    expect((limited.json() as { message: string }).message).to.match(/^rate limit: at most 0.001 requests per second from one address \(bursts of 3\), and 127\.0\.0\.1 is over it; retry in \d+ ms$/)
    expect((await request('GET', '/metrics')).statusCode).to.equal(429)
    // the same client over IPv4-mapped IPv6 (a dual-stack socket)
    expect((await request('GET', '/api/v1/nodes', { from: '::ffff:127.0.0.1' })).statusCode).to.equal(429)
    // an action refused for the rate is not done, and not in the audit trail: it proved nothing
    expect((await request('POST', '/api/v1/users', { payload: { name: 'bob' } })).statusCode).to.equal(429)
    for (let i = 0; i < 5; i++) {
      expect((await request('GET', '/livez')).statusCode).to.equal(200)
      expect((await request('GET', '/readyz')).statusCode).to.equal(200)
    }
    expect((await request('GET', '/api/v1/cluster', { from: '10.0.0.2' })).statusCode).to.equal(200)
    expect((await records()).map((r) => [r.action, r.status])).to.deep.equal([['POST /api/v1/users', 201]])
    const metrics = (await request('GET', '/metrics', { from: '10.0.0.3' })).body
    expect(metrics).to.include('plexi_client_refusals_total{endpoint="admin",reason="rate"} 3')
    expect(metrics).to.include('plexi_client_refusals_total{endpoint="metrics",reason="rate"} 1')
    expect(metrics).to.include('plexi_client_refusals_total{endpoint="grpc",reason="streams"} 0')
  })

  it('should refuse an address\'s attempts, the right token too, after its failed authentications, and audit them as failed authentications', async () => {
    await limit({ authFailures: 3, authFailuresPerSecond: NEVER })
    for (let i = 0; i < 3; i++) expect((await request('GET', '/api/v1/nodes', { token: `guess-${i}` })).statusCode).to.equal(401)
    // no token is no attempt: 401 as before, not counted
    expect((await request('GET', '/api/v1/nodes', { token: null })).statusCode).to.equal(401)
    const refused = await request('POST', '/api/v1/users', { payload: { name: 'mallory' } })
    expect(refused.statusCode).to.equal(429)
    expect(Number(refused.headers['retry-after'])).to.be.greaterThan(900)
    expect(refused.json()).to.deep.include({ statusCode: 429, code: 'AUTH_THROTTLED' })
    expect((refused.json() as { message: string }).message).to.match(/^too many failed authentications from 127\.0\.0\.1; retry in \d+ s$/)
    expect((await request('GET', '/api/v1/users', { from: '::ffff:127.0.0.1' })).statusCode).to.equal(429)
    // another address is another client: it authenticates, and the refused action was not done
    const users = await request('GET', '/api/v1/users', { from: '10.0.0.2' })
    expect(users.statusCode).to.equal(200)
    expect(JSON.stringify(users.json())).to.not.include('mallory')
    expect(limits.stats.failedAuthentications.admin).to.equal(3)
    expect(limits.stats.refused.admin['auth-failures']).to.equal(2)
    const trail = await records()
    expect(trail.map((r) => [r.actor, r.action, r.status, r.outcome])).to.deep.equal([
      ['unauthenticated', 'GET /api/v1/nodes', 401, 'refused'],
      ['unauthenticated', 'GET /api/v1/nodes', 401, 'refused'],
      ['unauthenticated', 'GET /api/v1/nodes', 401, 'refused'],
      ['unauthenticated', 'GET /api/v1/nodes', 401, 'refused'],
      ['unauthenticated', 'POST /api/v1/users', 429, 'refused'],
      ['unauthenticated', 'GET /api/v1/users', 429, 'refused']
    ])
    expect(trail.at(-1)?.detail).to.equal('refused before its token was checked: too many failed authentications from this address')
    expect(JSON.stringify(trail)).to.not.include('mallory')
    // guessing on fills the trail no faster than before: at most 30 records a minute
    for (let i = 0; i < 40; i++) expect((await request('GET', '/api/v1/nodes', { token: `guess-${i}` })).statusCode).to.equal(429)
    expect(await records()).to.have.length(30)
    expect(f.audit.stats.dropped).to.equal(16)
    f.clock += 60_000
    await request('GET', '/api/v1/nodes', { token: 'one-more-guess' })
    expect((await records()).at(-1)?.detail).to.equal('refused before its token was checked: too many failed authentications from this address; 16 failed authentications before this one were not recorded (at most 30 a minute are)')
  })

  it('should count a request through a trusted proxy as its client\'s, and believe no one else\'s X-Forwarded-For', async () => {
    f.proxies = new TrustedProxies(['10.0.0.5'])
    await limit({ rate: NEVER, burst: 1 })
    const via = async (from: string, forwarded: string, url = '/api/v1/nodes') =>
      await f.app.inject({ method: 'GET', url, remoteAddress: from, headers: { authorization: `Bearer ${TOKEN}`, 'x-forwarded-for': forwarded } })
    // two clients behind the proxy: a budget each
    expect((await via('10.0.0.5', '203.0.113.1')).statusCode).to.equal(200)
    expect((await via('10.0.0.5', '203.0.113.2')).statusCode).to.equal(200)
    const limited = await via('10.0.0.5', '198.51.100.9, 203.0.113.1')
    expect(limited.statusCode).to.equal(429)
    expect((limited.json() as { message: string }).message).to.include('and 203.0.113.1 is over it')
    // a client straight to the node names whom it likes: it is its own address still
    expect((await via('10.0.0.6', '203.0.113.3')).statusCode).to.equal(200)
    expect((await via('10.0.0.6', '203.0.113.4')).statusCode).to.equal(429)
    // and the audit trail names the client, not the proxy
    const added = await f.app.inject({ method: 'POST', url: '/api/v1/users', remoteAddress: '10.0.0.5', headers: { authorization: `Bearer ${TOKEN}`, 'x-forwarded-for': '203.0.113.8' }, payload: { name: 'carol' } })
    expect(added.statusCode).to.equal(201)
    const trail = await f.app.inject({ method: 'GET', url: '/api/v1/audit?limit=100', remoteAddress: '10.0.0.5', headers: { authorization: `Bearer ${TOKEN}`, 'x-forwarded-for': '203.0.113.9' } })
    expect((trail.json() as { records: AuditRecord[] }).records.map((r) => [r.action, r.ip])).to.deep.equal([['POST /api/v1/users', '203.0.113.8']])
  })

  it('should count failed metrics tokens with the admin ones: one address, one count', async () => {
    f.metricsToken = 'metrics-token-for-tests-0123'
    await limit({ authFailures: 2, authFailuresPerSecond: NEVER })
    expect((await request('GET', '/metrics', { token: 'wrong-metrics-token' })).statusCode).to.equal(401)
    expect((await request('GET', '/api/v1/nodes', { token: 'wrong-admin-token' })).statusCode).to.equal(401)
    const refused = await request('GET', '/metrics', { token: 'metrics-token-for-tests-0123' })
    expect(refused.statusCode).to.equal(429)
    expect(refused.json()).to.deep.include({ code: 'AUTH_THROTTLED' })
    expect((await request('GET', '/api/v1/nodes')).statusCode).to.equal(429)
    expect((await request('GET', '/metrics', { token: 'metrics-token-for-tests-0123', from: '10.0.0.2' })).statusCode).to.equal(200)
    expect([limits.stats.failedAuthentications.metrics, limits.stats.failedAuthentications.admin]).to.deep.equal([1, 1])
    expect([limits.stats.refused.metrics['auth-failures'], limits.stats.refused.admin['auth-failures']]).to.deep.equal([1, 1])
  })

  describe('live streams', () => {
    let port = 0
    const readers: EventReader[] = []
    afterEach(async () => {
      for (const reader of readers.splice(0)) await reader.cancel().catch(() => undefined)
    })
    /** Listens on every address: IPv4 clients come as 127.0.0.1, IPv6 ones as ::1. */
    async function listen (): Promise<void> {
      await f.app.listen({ host: '::', port: 0 })
      port = (f.app.server.address() as AddressInfo).port
    }
    const open = async (path: string, host = '127.0.0.1'): Promise<{ status: number, retryAfter: string | null, body: unknown }> => {
      const res = await fetch(`http://${host}:${port}${path}`, { headers: { authorization: `Bearer ${TOKEN}` } })
      if (res.status !== 200) return { status: res.status, retryAfter: res.headers.get('retry-after'), body: await res.json() }
      const reader = new EventReader(res.body as ReadableStream<Uint8Array>)
      readers.push(reader)
      expect((await reader.next())?.event).to.equal('history')
      return { status: 200, retryAfter: null, body: undefined }
    }

    it('should refuse an address one stream too many with 429 TOO_MANY_STREAMS, and take one again once one closes', async () => {
      await limit({ streams: 2 })
      await listen()
      expect((await open('/api/v1/stats/stream')).status).to.equal(200)
      expect((await open('/api/v1/logs/stream')).status).to.equal(200)
      const refused = await open('/api/v1/stats/stream')
      expect(refused.status).to.equal(429)
      expect(refused.retryAfter).to.equal('1')
      expect(refused.body).to.deep.include({ code: 'TOO_MANY_STREAMS', message: 'at most 2 streams may be open at once from one address on this node, and 127.0.0.1 has 2; close one first' })
      expect((await open('/api/v1/stats/stream', '[::1]')).status).to.equal(200)
      const freed = once(limits.freed, 'freed')
      await readers.shift()?.cancel()
      expect(await freed).to.deep.equal(['127.0.0.1'])
      expect((await open('/api/v1/logs/stream')).status).to.equal(200)
      expect(limits.stats.refused.admin.streams).to.equal(1)
    })

    it('should free every stream\'s slot when the server closes', async () => {
      await limit({ streams: 2 })
      await listen()
      await open('/api/v1/stats/stream')
      await open('/api/v1/logs/stream', '[::1]')
      expect(limits.stats.streamsOpen).to.equal(2)
      await f.app.close()
      expect(limits.stats.streamsOpen).to.equal(0)
    })
  })
})
