import { expect } from 'chai'
import { clientLimitMetrics } from '../../../node/metrics/index.ts'
import type { AuditRecord } from '../../../actors/index.ts'
import type { ClientLimitsOptions } from '../../../node/limits/index.ts'
import { ADMIN_TOKEN as TOKEN, AdminFixture } from '../../helpers/admin-fixture.ts'
import { NEVER, WatchedLimits } from '../../helpers/watched-limits.ts'

describe('bearerAuth', () => {
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
  const api = async (method: 'GET' | 'POST' | 'DELETE', url: string, token = TOKEN, payload?: object) =>
    await f.app.inject({ method, url, headers: { authorization: `Bearer ${token}` }, ...(payload !== undefined && { payload }) })

  it('should require the bearer token on /api/v1, compared whole', async () => {
    for (const authorization of [undefined, `Bearer ${TOKEN}x`, `Bearer ${TOKEN.slice(0, -1)}`, TOKEN, `Basic ${TOKEN}`]) {
      const res = await f.app.inject({ method: 'GET', url: '/api/v1/cluster', ...(authorization !== undefined && { headers: { authorization } }) })
      expect(res.statusCode, String(authorization)).to.equal(401)
      expect(res.headers['www-authenticate']).to.equal('Bearer')
      expect(res.json()).to.include({ code: 'UNAUTHORIZED' })
    }
    const ok = await api('GET', '/api/v1/cluster')
    expect(ok.statusCode).to.equal(200)
    expect(ok.json()).to.deep.equal({ self: f.self(), members: [f.self()] })
  })

  it('should let a read token read everything and refuse it every action with 403, each in the audit trail under its name', async () => {
    const made = await api('POST', '/api/v1/tokens', TOKEN, { name: 'viewer' })
    expect(made.statusCode).to.equal(201)
    const { token, scope } = made.json() as { token: string, scope: string }
    expect(scope).to.equal('read')
    expect(token).to.match(/^plxa_[A-Za-z0-9_-]{43}$/)
    for (const url of ['/api/v1/cluster', '/api/v1/users', '/api/v1/jobs', '/api/v1/audit', '/api/v1/tokens']) {
      expect((await api('GET', url, token)).statusCode, url).to.equal(200)
    }
    const refused = await api('POST', '/api/v1/users', token, { name: 'mallory' })
    expect(refused.statusCode).to.equal(403)
    expect(refused.json()).to.deep.include({ code: 'READ_ONLY_TOKEN', message: 'the admin token viewer may only read (scope read): POST needs the admin token or one of scope admin' })
    expect((await api('POST', '/api/v1/tokens', token, { name: 'escalate', scope: 'admin' })).statusCode).to.equal(403)
    expect((await api('GET', '/api/v1/users')).json()).to.deep.equal([])
    const records = ((await api('GET', '/api/v1/audit')).json() as { records: AuditRecord[] }).records
    expect(records.map((r) => [r.actor, r.action, r.status])).to.deep.equal([
      ['admin', 'POST /api/v1/tokens', 201], ['token:viewer', 'POST /api/v1/users', 403], ['token:viewer', 'POST /api/v1/tokens', 403]
    ])
    expect(JSON.stringify(records)).to.not.include(token)
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
})
