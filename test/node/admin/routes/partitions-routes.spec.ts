import { expect } from 'chai'
import { partitionsRoutes } from '../../../../node/admin/routes/partitions-routes.ts'
import { chatRoom } from '../../../../actors/index.ts'
import type { PostAck } from '../../../../actors/index.ts'
import { partitionOf } from '../../../../node/index.ts'
import { ADMIN_TOKEN as TOKEN, AdminFixture, NODE_ID } from '../../../helpers/admin-fixture.ts'
import { pluginApp } from '../../../helpers/admin-plugin.ts'

describe('partitionsRoutes', () => {
  const f = new AdminFixture()
  beforeEach(async () => { await f.setup() })
  afterEach(async () => { await f.teardown() })

  const api = (method: 'GET' | 'POST', url: string, payload?: unknown) =>
    f.app.inject({ method, url, headers: { authorization: `Bearer ${TOKEN}` }, ...(payload !== undefined && { payload: payload as Record<string, unknown> }) })

  it('should list partitions with what each replica holds, one partition on request, and refuse a bad one', async () => {
    await api('POST', '/api/v1/users', { name: 'bob' })
    const p = partitionOf('users/all', 256)
    const all = (await api('GET', '/api/v1/partitions?limit=256')).json() as Array<{ partition: number, replicas: Array<{ peerId: string, entities: number, records: number, lag: number, epoch: number }> }>
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

  it('should answer a page of 16 partitions by default, naming the next in its Link header until the last', async () => {
    const first = await api('GET', '/api/v1/partitions')
    expect((first.json() as Array<{ partition: number }>).map((r) => r.partition)).to.deep.equal([...Array(16).keys()])
    expect(first.headers.link).to.equal('</api/v1/partitions?limit=16&after=15>; rel="next"')
    const seen: number[] = []
    let next: string | undefined = '/api/v1/partitions?limit=60'
    while (next !== undefined) {
      const page = await api('GET', next)
      expect(page.statusCode).to.equal(200)
      seen.push(...(page.json() as Array<{ partition: number }>).map((r) => r.partition))
      next = /<([^>]+)>; rel="next"/.exec(String(page.headers.link ?? ''))?.[1]
    }
    expect(seen).to.deep.equal([...Array(256).keys()])
    expect((await api('GET', '/api/v1/partitions?after=254&limit=5')).json()).to.have.length(1)
    for (const bad of ['limit=0', 'limit=1001', 'after=-1', 'after=x']) {
      expect((await api('GET', `/api/v1/partitions?${bad}`)).json(), bad).to.include({ statusCode: 400, code: 'FST_ERR_VALIDATION' })
    }
  })

  it('should show a change made through this node in the next read, though reads share a gather for a moment after it', async () => {
    type Row = { partition: number, replicas: Array<{ records: number }> }
    const records = async (p: number): Promise<number> => ((await api('GET', `/api/v1/partitions?partition=${p}`)).json() as Row[])[0]?.replicas[0]?.records ?? -1
    const pageRecords = async (p: number): Promise<number> => ((await api('GET', `/api/v1/partitions?after=${p - 1}&limit=1`)).json() as Row[])[0]?.replicas[0]?.records ?? -1
    // a write through the admin API (a user added), read at once: the listing kept is dropped
    const users = partitionOf('users/all', 256)
    const before = await records(users)
    expect(await pageRecords(users)).to.equal(before)
    await api('POST', '/api/v1/users', { name: 'carol' })
    expect(await records(users)).to.be.greaterThan(before)
    expect(await pageRecords(users)).to.be.greaterThan(before)
    // a write that is no request of the admin API (a post, as the chat endpoint makes it): it lands
    // in this node's replica, and the listing kept is dropped
    const room = partitionOf('room/general', 256)
    const posted = await records(room)
    const pagePosted = await pageRecords(room)
    await f.system.entity(chatRoom, 'general').ask<PostAck>((replyTo) => ({ type: 'post', user: 'alice', text: 'hi', replyTo }))
    expect(await records(room)).to.be.greaterThan(posted)
    expect(await pageRecords(room)).to.be.greaterThan(pagePosted)
  })

  it('should start a repair, list it and show it, and say so for a repair this node does not have', async () => {
    const started = await api('POST', '/api/v1/repairs', { partition: 3 })
    expect(started.statusCode).to.equal(202)
    const job = started.json() as { id: string, partition: number, partitions: number }
    expect(job).to.include({ id: 'repair-1', partition: 3, partitions: 1 })
    await f.jobs.settled(`${job.id}-Test`, 10_000)
    expect(((await api('GET', '/api/v1/repairs')).json() as Array<{ id: string }>).map((j) => j.id)).to.deep.equal(['repair-1'])
    expect((await api('GET', '/api/v1/repairs/repair-1')).json()).to.include({ id: 'repair-1', state: 'done', partitionsDone: 1 })
    expect((await api('GET', '/api/v1/repairs/repair-9')).json()).to.deep.include({
      statusCode: 404, code: 'UNKNOWN_REPAIR', message: 'no repair job repair-9 on this node (jobs are kept on the node that started them, the last 16)'
    })
    expect((await api('GET', '/api/v1/repairs/drain-1')).statusCode).to.equal(400)
    expect((await api('POST', '/api/v1/repairs', { partition: 65_536 })).statusCode).to.equal(400)
    expect((await api('POST', '/api/v1/repairs', { partition: '3' })).statusCode, 'a body is not coerced').to.equal(400)
  })

  it('should answer with none, and 503 to a repair, on a node without replication, served alone', async () => {
    const app = await pluginApp(partitionsRoutes({}))
    try {
      expect((await app.inject({ method: 'GET', url: '/api/v1/partitions' })).json()).to.deep.equal([])
      expect((await app.inject({ method: 'GET', url: '/api/v1/repairs' })).json()).to.deep.equal([])
      expect((await app.inject({ method: 'POST', url: '/api/v1/repairs', payload: {} })).json()).to.deep.include({ statusCode: 503, code: 'UNAVAILABLE', message: 'this node does not run repairs' })
      expect((await app.inject({ method: 'GET', url: '/api/v1/repairs/repair-1' })).json()).to.deep.include({ statusCode: 404, code: 'UNKNOWN_REPAIR' })
    } finally {
      await app.close()
    }
  })
})
