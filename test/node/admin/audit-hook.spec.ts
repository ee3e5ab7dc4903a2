import { expect } from 'chai'
import type { AuditRecord } from '../../../actors/index.ts'
import { ADMIN_TOKEN as TOKEN, AdminFixture, NODE_ID } from '../../helpers/admin-fixture.ts'

describe('auditHook', () => {
  const f = new AdminFixture()
  beforeEach(async () => { await f.setup() })
  afterEach(async () => { await f.teardown() })

  const api = async (method: 'GET' | 'POST' | 'DELETE' | 'PUT', url: string, payload?: object, token = TOKEN) =>
    await f.app.inject({ method, url, headers: { authorization: `Bearer ${token}` }, ...(payload !== undefined && { payload }) })
  const records = async (query = ''): Promise<AuditRecord[]> => ((await api('GET', `/api/v1/audit${query}`)).json() as { records: AuditRecord[] }).records

  it('should record every admin action before it is answered, with its route, target, outcome and body, and never a token', async () => {
    const created = await api('POST', '/api/v1/users', { name: 'alice' })
    expect(created.statusCode).to.equal(201)
    const token = (created.json() as { token: string }).token
    // answered once recorded: no wait
    const [first] = await records()
    expect(first).to.deep.include({
      seq: 1, actor: 'admin', node: NODE_ID, ip: '127.0.0.1', action: 'POST /api/v1/users', target: '/api/v1/users', outcome: 'ok', status: 201, detail: '{"name":"alice"}'
    })
    expect((await api('POST', '/api/v1/users', { name: 'alice' })).statusCode).to.equal(409)
    expect((await api('DELETE', '/api/v1/users/alice')).statusCode).to.equal(200)
    expect((await api('POST', '/api/v1/users', { name: 'Not A Name' })).statusCode).to.equal(400)
    const all = await records()
    expect(all.map((r) => [r.seq, r.action, r.target, r.outcome, r.status])).to.deep.equal([
      [1, 'POST /api/v1/users', '/api/v1/users', 'ok', 201],
      [2, 'POST /api/v1/users', '/api/v1/users', 'refused', 409],
      [3, 'DELETE /api/v1/users/:name', '/api/v1/users/alice', 'ok', 200],
      [4, 'POST /api/v1/users', '/api/v1/users', 'refused', 400]
    ])
    // reads are not actions
    await api('GET', '/api/v1/users')
    await api('GET', '/api/v1/cluster')
    expect(await records()).to.have.length(4)
    expect(JSON.stringify(all)).to.not.include(token)
    expect(JSON.stringify(all)).to.not.include(TOKEN)
  })

  it('should record a failed authentication as unauthenticated with nothing of its request, and at most 30 a minute', async () => {
    const refused = await f.app.inject({ method: 'POST', url: '/api/v1/users', headers: { authorization: 'Bearer wrong-token-guess' }, payload: { name: 'eve' } })
    expect(refused.statusCode).to.equal(401)
    await f.app.inject({ method: 'GET', url: '/api/v1/cluster' })
    const [post, get] = await records()
    expect(post).to.deep.include({ actor: 'unauthenticated', action: 'POST /api/v1/users', outcome: 'refused', status: 401, detail: '' })
    expect(get).to.deep.include({ actor: 'unauthenticated', action: 'GET /api/v1/cluster', status: 401 })
    expect(JSON.stringify([post, get])).to.not.include('wrong-token-guess')
    // a client guessing tokens fills no more than 30 records a minute (2 taken above)
    for (let i = 0; i < 40; i++) await f.app.inject({ method: 'GET', url: '/api/v1/nodes', headers: { authorization: `Bearer guess-${i}` } })
    expect(await records('?limit=1000')).to.have.length(30)
    expect(f.audit.stats.dropped).to.equal(12)
    // the next minute: recorded again, saying how many were left out
    f.clock += 60_000
    await f.app.inject({ method: 'GET', url: '/api/v1/nodes' })
    const last = (await records('?limit=1000')).at(-1)
    expect(last?.detail).to.equal('12 failed authentications before this one were not recorded (at most 30 a minute are)')
  })
})
