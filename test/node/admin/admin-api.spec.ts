import { expect } from 'chai'
import type { FastifyInstance } from 'fastify'
import { adminApi } from '../../../node/admin/admin-api.ts'
import { adminFastify } from '../../../node/admin/admin-fastify.ts'
import { EventStreams } from '../../../node/admin/event-streams.ts'
import { UserAccounts } from '../../../node/index.ts'
import { ADMIN_TOKEN as TOKEN, AdminFixture } from '../../helpers/admin-fixture.ts'

/** One request to each route of each resource under /api/v1, params filled in. */
const REQUESTS: ReadonlyArray<readonly [method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string]> = [
  ['GET', '/cluster'], ['GET', '/nodes'], ['PUT', '/nodes/12D3KooWb/roles'], ['POST', '/nodes/12D3KooWb/drain'], ['POST', '/nodes/12D3KooWb/decommission'],
  ['GET', '/actors'], ['GET', '/actors/room/general'], ['POST', '/actors/room/general/migrate'], ['GET', '/partitions'], ['GET', '/repairs'], ['POST', '/repairs'],
  ['GET', '/repairs/repair-1'], ['GET', '/storage'], ['GET', '/scrub'], ['POST', '/scrub'], ['GET', '/jobs'], ['GET', '/jobs/drain-1-Test'], ['POST', '/jobs/drain-1-Test/cancel'],
  ['GET', '/backups'], ['POST', '/backups'], ['POST', '/backups/sweep'], ['GET', '/backups/bk-x'], ['DELETE', '/backups/bk-x'], ['POST', '/backups/bk-x/verify'],
  ['GET', '/restores'], ['POST', '/backups/bk-x/restore'], ['GET', '/tokens'], ['POST', '/tokens'], ['DELETE', '/tokens/x'], ['GET', '/users'], ['POST', '/users'],
  ['DELETE', '/users/alice'], ['GET', '/models'], ['POST', '/models/tiny/load'], ['POST', '/models/tiny/unload'], ['GET', '/stats'], ['GET', '/stats/stream'],
  ['GET', '/logs'], ['GET', '/logs/stream'], ['GET', '/audit'], ['GET', '/audit/verify'], ['GET', '/rooms']
]

describe('adminApi', () => {
  const f = new AdminFixture()
  let app: FastifyInstance
  beforeEach(async () => {
    await f.setup()
    // a node with only what every node has: no replication, jobs, moves, backups, models, stats, logs, audit trail or named tokens
    app = adminFastify({ logger: false })
    await app.register(adminApi({ system: f.system, users: new UserAccounts(f.system), adminToken: TOKEN, self: f.self, cluster: f.cluster }, new EventStreams()), { prefix: '/api/v1' })
  })
  afterEach(async () => {
    await app.close()
    await f.teardown()
  })

  it('should refuse every route of every resource without the admin token, before the route runs', async () => {
    expect(REQUESTS).to.have.length(42)
    for (const [method, path] of REQUESTS) {
      for (const headers of [{}, { authorization: 'Bearer wrong' }]) {
        const res = await app.inject({ method, url: `/api/v1${path}`, headers })
        expect(res.statusCode, `${method} ${path}`).to.equal(401)
        expect(res.headers['www-authenticate']).to.equal('Bearer')
        expect(res.json()).to.include({ code: 'UNAUTHORIZED' })
      }
    }
  })

  it('should hand each resource only what the node has: each answers as a node without the rest', async () => {
    const get = async (url: string): Promise<unknown> => (await app.inject({ method: 'GET', url: `/api/v1${url}`, headers: { authorization: `Bearer ${TOKEN}` } })).json()
    expect(await get('/cluster')).to.deep.equal({ self: f.self(), members: [f.self()] })
    expect(await get('/partitions')).to.deep.equal([])
    expect(await get('/storage')).to.deep.equal([])
    expect(await get('/jobs')).to.deep.equal({ jobs: [], unreachable: [] })
    expect(await get('/models')).to.deep.equal([])
    expect(await get('/stats')).to.deep.equal({ node: f.self().peerId, intervalMs: 1000, samples: [] })
    expect(await get('/logs')).to.deep.equal({ entries: [] })
    expect(await get('/backups')).to.deep.include({ statusCode: 503, message: 'this node keeps no backups' })
    expect(await get('/users')).to.deep.equal([])
    const repair = await app.inject({ method: 'POST', url: '/api/v1/repairs', headers: { authorization: `Bearer ${TOKEN}` }, payload: {} })
    expect(repair.json()).to.deep.include({ statusCode: 503, message: 'this node does not run repairs' })
  })

  it('should let a resource act for the main token, unrecorded where the node keeps no audit trail', async () => {
    const added = await app.inject({ method: 'POST', url: '/api/v1/users', headers: { authorization: `Bearer ${TOKEN}` }, payload: { name: 'ann' } })
    expect(added.statusCode).to.equal(201)
    // the fixture's own trail (beside this endpoint) saw nothing of it
    expect(await f.audit.list(0, 100)).to.deep.equal([])
  })
})
