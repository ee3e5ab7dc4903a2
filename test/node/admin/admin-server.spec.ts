import { expect } from 'chai'
import { chatRoom } from '../../../actors/index.ts'
import type { PostAck } from '../../../actors/index.ts'
import { ADMIN_TOKEN as TOKEN, AdminFixture, NODE_ID } from '../../helpers/admin-fixture.ts'
import { partitionOf } from '../../../node/index.ts'

describe('buildAdminServer', () => {
  const f = new AdminFixture()
  beforeEach(async () => { await f.setup() })
  afterEach(async () => { await f.teardown() })

  const api = (method: 'GET' | 'POST' | 'DELETE', url: string, payload?: unknown, token = TOKEN) =>
    f.app.inject({ method, url, headers: { authorization: `Bearer ${token}` }, ...(payload !== undefined && { payload: payload as Record<string, unknown> }) })

  it('should answer readyz 503 while starting or draining and 200 when ready; livez always', async () => {
    for (const [state, code] of [['starting', 503], ['ready', 200], ['draining', 503]] as const) {
      f.readiness = state
      const res = await f.app.inject({ method: 'GET', url: '/readyz' })
      expect(res.statusCode, state).to.equal(code)
      expect(res.json()).to.deep.equal({ status: state })
      expect((await f.app.inject({ method: 'GET', url: '/livez' })).statusCode).to.equal(200)
    }
  })

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

  it('should create, list and remove users; the token is shown once and only its hash is kept', async () => {
    const created = await api('POST', '/api/v1/users', { name: 'alice' })
    expect(created.statusCode).to.equal(201)
    const body = created.json() as { name: string, token: string, createdAt: number }
    expect(body.name).to.equal('alice')
    expect(body.token).to.match(/^plxu_[A-Za-z0-9_-]{43}$/)
    expect((await api('GET', '/api/v1/users')).json()).to.deep.equal([{ name: 'alice', createdAt: body.createdAt }])
    let journaled = ''
    // read from the replica itself: opening the journal would take it from the live directory
    for (const record of await f.journal.storage.read('users/all', 1, 1000)) journaled += JSON.stringify(record.event)
    expect(journaled).not.to.include(body.token)
    expect((await api('POST', '/api/v1/users', { name: 'alice' })).json()).to.include({ statusCode: 409, code: 'USER_EXISTS' })
    expect((await api('DELETE', '/api/v1/users/alice')).statusCode).to.equal(200)
    expect((await api('DELETE', '/api/v1/users/alice')).json()).to.include({ statusCode: 404, code: 'UNKNOWN_USER' })
    expect((await api('DELETE', '/api/v1/users/NOT_A_NAME')).statusCode).to.equal(400)
  })

  it('should list partitions with what each replica holds, one partition on request, and refuse a bad one', async () => {
    await api('POST', '/api/v1/users', { name: 'bob' })
    const p = partitionOf('users/all', 256)
    const all = (await api('GET', '/api/v1/partitions')).json() as Array<{ partition: number, replicas: Array<{ peerId: string, entities: number, records: number, lag: number, epoch: number }> }>
    expect(all).to.have.length(256)
    expect(all.every((row) => row.replicas.length === 1 && row.replicas[0]?.peerId === NODE_ID)).to.equal(true)
    const one = (await api('GET', `/api/v1/partitions?partition=${p}`)).json() as typeof all
    expect(one).to.have.length(1)
    expect(one[0]?.replicas[0]).to.include({ peerId: NODE_ID, status: 'up', lag: 0 })
    expect(one[0]?.replicas[0]?.records).to.be.at.least(1)
    expect(one[0]?.replicas[0]?.epoch).to.be.greaterThan(0)
    expect((await api('GET', '/api/v1/partitions?partition=256')).json()).to.include({ statusCode: 404 })
    expect((await api('GET', '/api/v1/partitions?partition=x')).statusCode).to.equal(400)
  })

  it('should refuse malformed bodies and queries with 400 naming the field, changing nothing', async () => {
    const cases: Array<[string, string, unknown, RegExp]> = [
      ['POST', '/api/v1/users', { name: 'x y' }, /body\/name must match pattern/],
      ['POST', '/api/v1/users', { name: 'ok', extra: 1 }, /body must NOT have additional properties/],
      ['POST', '/api/v1/users', { name: ['alice'] }, /body\/name must be string/],
      ['POST', '/api/v1/users', 'not json', /./],
      ['GET', '/api/v1/actors?type=Bad!', undefined, /querystring\/type must match pattern/],
      ['GET', '/api/v1/actors?other=1', undefined, /querystring must NOT have additional properties/]
    ]
    for (const [method, url, payload, message] of cases) {
      const res = await f.app.inject({ method: method as 'GET', url, headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, ...(payload !== undefined && { payload: typeof payload === 'string' ? payload : JSON.stringify(payload) }) })
      expect(res.statusCode, `${method} ${url} ${JSON.stringify(payload)}`).to.equal(400)
      expect((res.json() as { message: string }).message).to.match(message)
    }
    expect((await api('GET', '/api/v1/users')).json()).to.deep.equal([])
  })

  it('should list actors by kind and report one entity with its journaled seq', async () => {
    const ack = await f.system.entity(chatRoom, 'general').ask<PostAck>((replyTo) => ({ type: 'post', user: 'alice', text: 'hi', replyTo }))
    const rooms = (await api('GET', '/api/v1/actors?type=room')).json() as Array<{ key: string, kind: string, node: string }>
    expect(rooms).to.deep.equal([{ kind: 'room', path: '/entities/room/general', key: 'general', status: 'running', mailbox: 0, node: '12D3KooWTest' }])
    expect((await api('GET', '/api/v1/actors/room/general')).json()).to.include({ type: 'room', key: 'general', active: true, seq: ack.seq, role: 'chat' })
    expect((await api('GET', '/api/v1/actors/room/other')).statusCode).to.equal(404)
    expect((await api('GET', '/api/v1/rooms')).json()).to.deep.equal([{ name: 'general', createdAt: (await api('GET', '/api/v1/rooms')).json()[0].createdAt, createdBy: 'alice', active: true }])
  })

  it('should serve metrics openly by default, and only with the metrics token when one is set', async () => {
    const open = await f.app.inject({ method: 'GET', url: '/metrics' })
    expect(open.statusCode).to.equal(200)
    expect(open.headers['content-type']).to.match(/^text\/plain/)
    expect(open.body).to.match(/^plexi_messages_processed_total \d+$/m)
    f.metricsToken = 'metrics-token-0123456789'
    await f.build()
    expect((await f.app.inject({ method: 'GET', url: '/metrics' })).statusCode).to.equal(401)
    expect((await f.app.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${TOKEN}` } })).statusCode).to.equal(401)
    expect((await f.app.inject({ method: 'GET', url: '/metrics', headers: { authorization: 'Bearer metrics-token-0123456789' } })).statusCode).to.equal(200)
  })

  it('should describe every route in OpenAPI at /docs/json', async () => {
    const doc = (await f.app.inject({ method: 'GET', url: '/docs/json' })).json() as { paths: Record<string, Record<string, unknown>> }
    expect(Object.keys(doc.paths)).to.include.members(['/livez', '/readyz', '/metrics', '/api/v1/cluster', '/api/v1/nodes',
      '/api/v1/actors', '/api/v1/actors/{type}/{key}', '/api/v1/users', '/api/v1/users/{name}', '/api/v1/rooms'])
    expect(doc.paths['/api/v1/users']).to.include.keys('get', 'post')
  })
})
