import { expect } from 'chai'
import { chatRoom } from '../../../../actors/index.ts'
import type { PostAck } from '../../../../actors/index.ts'
import { actorsRoutes } from '../../../../node/admin/routes/actors-routes.ts'
import { partitionOf } from '../../../../node/index.ts'
import { ADMIN_TOKEN as TOKEN, AdminFixture, NODE_ID } from '../../../helpers/admin-fixture.ts'
import { pluginApp } from '../../../helpers/admin-plugin.ts'

describe('actorsRoutes', () => {
  const f = new AdminFixture()
  beforeEach(async () => { await f.setup() })
  afterEach(async () => { await f.teardown() })

  const api = (method: 'GET' | 'POST', url: string, payload?: Record<string, unknown>) =>
    f.app.inject({ method, url, headers: { authorization: `Bearer ${TOKEN}` }, ...(payload !== undefined && { payload }) })

  it('should list the entities alone unless all=true, a page at a time in node:path order, the next page named in the Link header with the same filters', async () => {
    for (const room of ['a', 'b', 'c']) await f.system.entity(chatRoom, room).ask<PostAck>((replyTo) => ({ type: 'post', user: 'alice', text: 'hi', replyTo }))
    type Row = { kind: string, path: string, key: string | null, node: string }
    const everyPage = async (url: string): Promise<Row[]> => {
      const rows: Row[] = []
      for (let next: string | undefined = url; next !== undefined;) {
        const page = await api('GET', next)
        expect(page.statusCode, next).to.equal(200)
        rows.push(...page.json() as Row[])
        next = /<([^>]+)>; rel="next"/.exec(String(page.headers.link ?? ''))?.[1]
      }
      return rows
    }
    const all = (await api('GET', '/api/v1/actors?all=true&limit=1000')).json() as Row[]
    const system = all.filter((a) => a.key === null)
    expect(system.length, 'the node runs system actors').to.be.greaterThan(3)
    const keys = all.map((a) => `${a.node}:${a.path}`)
    expect(keys).to.deep.equal([...keys].sort())
    const entities = await api('GET', '/api/v1/actors')
    expect((entities.json() as Row[]).map((a) => a.path)).to.deep.equal(all.filter((a) => a.key !== null).map((a) => a.path))
    expect(entities.headers.link).to.equal(undefined)
    // pages of 2: every row once, in order, the filters kept in each link
    const first = await api('GET', '/api/v1/actors?all=true&limit=2')
    expect(first.headers.link).to.equal(`</api/v1/actors?all=true&limit=2&after=${encodeURIComponent(keys[1] as string)}>; rel="next"`)
    expect((await everyPage('/api/v1/actors?all=true&limit=2')).map((a) => `${a.node}:${a.path}`)).to.deep.equal(keys)
    expect((await everyPage('/api/v1/actors?type=room&limit=1')).map((a) => a.key)).to.deep.equal(['a', 'b', 'c'])
    for (const bad of ['limit=0', 'limit=1001', 'all=maybe', `after=${'x'.repeat(1401)}`]) {
      expect((await api('GET', `/api/v1/actors?${bad}`)).json(), bad.slice(0, 20)).to.include({ statusCode: 400, code: 'FST_ERR_VALIDATION' })
    }
  })

  it('should list actors by kind and report one entity with its journaled seq', async () => {
    const ack = await f.system.entity(chatRoom, 'general').ask<PostAck>((replyTo) => ({ type: 'post', user: 'alice', text: 'hi', replyTo }))
    const rooms = (await api('GET', '/api/v1/actors?type=room')).json() as Array<{ key: string, kind: string, node: string }>
    expect(rooms).to.deep.equal([{ kind: 'room', path: '/entities/room/general', key: 'general', status: 'running', mailbox: 0, node: '12D3KooWTest' }])
    const detail = (await api('GET', '/api/v1/actors/room/general')).json() as { partition: number, replicas: unknown[] }
    expect(detail).to.include({ type: 'room', key: 'general', active: true, seq: ack.seq, role: 'chat', partition: partitionOf('room/general', f.journal.partitions) })
    expect(detail.replicas).to.deep.equal([{ peerId: NODE_ID, status: 'up', epoch: (detail.replicas[0] as { epoch: number }).epoch, lag: 0 }])
    expect((detail.replicas[0] as { epoch: number }).epoch).to.be.above(0)
    expect((await api('GET', '/api/v1/actors/room/other')).statusCode).to.equal(404)
    // an answer kept for the reads that follow is dropped when a record lands in this node's
    // replicas: the next read says the new seq, and an entity written since is no longer 404
    const again = await f.system.entity(chatRoom, 'general').ask<PostAck>((replyTo) => ({ type: 'post', user: 'alice', text: 'again', replyTo }))
    expect((await api('GET', '/api/v1/actors/room/general')).json()).to.include({ seq: again.seq })
    await f.system.entity(chatRoom, 'other').ask<PostAck>((replyTo) => ({ type: 'post', user: 'alice', text: 'first', replyTo }))
    expect((await api('GET', '/api/v1/actors/room/other')).statusCode).to.equal(200)
  })

  it('should refuse malformed queries with 400 naming the field', async () => {
    const cases: Array<[string, RegExp]> = [
      ['/api/v1/actors?type=Bad!', /querystring\/type must match pattern/],
      ['/api/v1/actors?other=1', /querystring must NOT have additional properties/]
    ]
    for (const [url, message] of cases) {
      const res = await f.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' } })
      expect(res.statusCode, `GET ${url}`).to.equal(400)
      expect((res.json() as { message: string }).message).to.match(message)
    }
  })

  it('should name the entity types there are for one that is none, refuse a bad key, and answer 503 to a move on a node that moves nothing', async () => {
    for (const url of ['/api/v1/actors/planet/mars', '/api/v1/actors/planet/mars/migrate']) {
      const res = await api(url.endsWith('migrate') ? 'POST' : 'GET', url, url.endsWith('migrate') ? { to: '12D3KooWb' } : undefined)
      expect(res.json(), url).to.deep.include({ statusCode: 404, code: 'UNKNOWN_ENTITY_TYPE' })
      expect((res.json() as { message: string }).message).to.match(/^no entity type "planet"; known: .*\broom\b/)
    }
    expect((await api('GET', '/api/v1/actors/room/%24system')).json()).to.deep.include({ statusCode: 400, code: 'INVALID_NAME' })
    expect((await api('POST', '/api/v1/actors/room/general/migrate', { to: '12D3KooWb' })).json())
      .to.deep.include({ statusCode: 503, code: 'UNAVAILABLE', message: 'this node does not move entities (it runs without a cluster key)' })
    expect((await api('POST', '/api/v1/actors/room/general/migrate', { to: '0OIl' })).statusCode).to.equal(400)
  })

  it('should serve alone without replication: an entity without its partition\'s replicas', async () => {
    const ack = await f.system.entity(chatRoom, 'lobby').ask<PostAck>((replyTo) => ({ type: 'post', user: 'bob', text: 'hello', replyTo }))
    const app = await pluginApp(actorsRoutes({ system: f.system, cluster: f.cluster }))
    try {
      const detail = (await app.inject({ method: 'GET', url: '/api/v1/actors/room/lobby' })).json() as Record<string, unknown>
      expect(detail).to.include({ type: 'room', key: 'lobby', active: true, seq: ack.seq })
      expect(detail).to.not.have.any.keys('partition', 'replicas')
    } finally {
      await app.close()
    }
  })
})
