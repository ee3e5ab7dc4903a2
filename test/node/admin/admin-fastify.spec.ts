import { expect } from 'chai'
import { clientLimitMetrics } from '../../../node/metrics/index.ts'
import type { AuditRecord } from '../../../actors/index.ts'
import { adminFastify } from '../../../node/admin/admin-fastify.ts'
import { TrustedProxies } from '../../../node/limits/index.ts'
import type { ClientLimitsOptions } from '../../../node/limits/index.ts'
import { ADMIN_TOKEN as TOKEN, AdminFixture } from '../../helpers/admin-fixture.ts'
import { NEVER, WatchedLimits } from '../../helpers/watched-limits.ts'

describe('adminFastify', () => {
  const f = new AdminFixture()
  let limits: WatchedLimits
  beforeEach(async () => { await f.setup() })
  afterEach(async () => { await f.teardown() })

  /** The fixture's admin endpoint behind these limits (the rest off). */
  async function limit (opts: Partial<ClientLimitsOptions>): Promise<void> {
    limits = new WatchedLimits({ rate: 0, burst: 1, authFailures: 0, streams: 0, ...opts })
    clientLimitMetrics(f.metrics.registry, limits.stats)
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

  it('should validate bodies strictly and coerce query strings and path params, with the shared schemas known by their ids', async () => {
    const app = adminFastify({ logger: false })
    try {
      app.post<{ Body: { n: number } }>('/body', { schema: { body: { type: 'object', required: ['n'], additionalProperties: false, properties: { n: { type: 'integer' } } } } }, async (req) => ({ n: req.body.n }))
      app.get<{ Querystring: { n: number } }>('/query', { schema: { querystring: { type: 'object', properties: { n: { type: 'integer' } } } } }, async (req) => ({ n: req.query.n }))
      app.get('/member', { schema: { response: { 200: { $ref: 'Member#' } } } }, async () => ({ peerId: 'p', roles: [], status: 'up', addresses: { grpc: '', admin: '', p2p: [] }, load: { actors: 0, entities: 0, mailbox: 0, rssBytes: 0 }, secret: 'dropped' }))
      expect((await app.inject({ method: 'POST', url: '/body', payload: { n: 1 } })).json()).to.deep.equal({ n: 1 })
      const strict = await app.inject({ method: 'POST', url: '/body', payload: { n: '1' } })
      expect(strict.json()).to.deep.include({ statusCode: 400, code: 'FST_ERR_VALIDATION', message: 'body/n must be integer' })
      expect((await app.inject({ method: 'GET', url: '/query?n=1' })).json()).to.deep.equal({ n: 1 })
      expect((await app.inject({ method: 'GET', url: '/member' })).json()).to.not.have.property('secret')
      expect((await app.inject({ method: 'GET', url: '/nothing' })).json()).to.deep.include({ statusCode: 404, code: 'NOT_FOUND' })
    } finally {
      await app.close()
    }
  })
})
