import { expect } from 'chai'
import { chatRoom } from '../../../actors/index.ts'
import type { PostAck } from '../../../actors/index.ts'
import { ADMIN_TOKEN as TOKEN, AdminFixture, NODE_ID } from '../../helpers/admin-fixture.ts'
import { UserAccounts, partitionOf } from '../../../node/index.ts'

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

  it('should answer a retried add carrying the first one\'s client id with the user and a new token, the first token revoked', async () => {
    const first = (await api('POST', '/api/v1/users', { name: 'cleo', clientId: 'add-1' })).json() as { name: string, token: string, createdAt: number }
    // the answer was lost (a timeout, a dropped connection): the caller tries again with the same id
    const again = await api('POST', '/api/v1/users', { name: 'cleo', clientId: 'add-1' })
    expect(again.statusCode).to.equal(201)
    const body = again.json() as typeof first
    expect(body.name).to.equal('cleo')
    expect(body.createdAt).to.equal(first.createdAt)
    expect(body.token).to.match(/^plxu_/).and.not.equal(first.token)
    expect(await new UserAccounts(f.system).authenticate(body.token)).to.equal('cleo')
    expect(await new UserAccounts(f.system).authenticate(first.token), 'the lost answer\'s token').to.equal(undefined)
    expect((await api('GET', '/api/v1/users')).json()).to.deep.equal([{ name: 'cleo', createdAt: first.createdAt }])
    // another client id, or none, is another caller: the name is taken
    expect((await api('POST', '/api/v1/users', { name: 'cleo', clientId: 'add-2' })).json()).to.include({ statusCode: 409, code: 'USER_EXISTS' })
    expect((await api('POST', '/api/v1/users', { name: 'cleo' })).json()).to.include({ statusCode: 409, code: 'USER_EXISTS' })
    expect(await new UserAccounts(f.system).authenticate(body.token)).to.equal('cleo')
    // a malformed client id is refused, naming the field, and changes nothing
    const bad = await api('POST', '/api/v1/users', { name: 'dora', clientId: 'has space' })
    expect(bad.statusCode).to.equal(400)
    expect(bad.json().message).to.match(/body\/clientId must match pattern/)
    expect((await api('GET', '/api/v1/users')).json()).to.have.length(1)
    // a user removed and added again with the id of its first add is a new user
    expect((await api('DELETE', '/api/v1/users/cleo')).statusCode).to.equal(200)
    const readded = await api('POST', '/api/v1/users', { name: 'cleo', clientId: 'add-1' })
    expect(readded.statusCode).to.equal(201)
    expect(await new UserAccounts(f.system).authenticate(body.token), 'the removed user\'s token').to.equal(undefined)
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
    const detail = (await api('GET', '/api/v1/actors/room/general')).json() as { partition: number, replicas: unknown[] }
    expect(detail).to.include({ type: 'room', key: 'general', active: true, seq: ack.seq, role: 'chat', partition: partitionOf('room/general', f.journal.partitions) })
    expect(detail.replicas).to.deep.equal([{ peerId: NODE_ID, status: 'up', epoch: (detail.replicas[0] as { epoch: number }).epoch, lag: 0 }])
    expect((detail.replicas[0] as { epoch: number }).epoch).to.be.above(0)
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

describe('buildAdminServer: jobs', () => {
  const f = new AdminFixture()
  beforeEach(async () => { await f.setup() })
  afterEach(async () => { await f.teardown() })

  const api = (method: 'GET' | 'POST', url: string, payload?: Record<string, unknown>) => f.app.inject({ method, url, headers: { authorization: `Bearer ${TOKEN}` }, ...(payload !== undefined && { payload }) })
  /** A job that runs until it is cancelled or finished by the test. */
  const longJob = (kind: 'drain' | 'migrate', target: string | null): { id: string, finish: () => void } => {
    let finish!: () => void
    const job = f.jobs.start(kind, target, async (control) => {
      control.progress({ total: 4, done: 1, left: [{ item: 'room/a', why: 'its new owner is joining' }], message: 'moving room/b' })
      await new Promise<void>((resolve, reject) => {
        finish = resolve
        control.signal.addEventListener('abort', () => { reject(control.signal.reason) })
      })
      return 'moved 4 entities'
    })
    return { id: job.id, finish }
  }

  it('should list the jobs newest first, filter them by kind and state, and refuse a bad filter naming the values there are', async () => {
    const drain = longJob('drain', 'peer-b')
    const migrate = longJob('migrate', 'room/general')
    migrate.finish()
    await f.jobs.settled(migrate.id, 5_000)
    const all = await api('GET', '/api/v1/jobs')
    expect(all.statusCode).to.equal(200)
    const body = all.json() as { jobs: Array<Record<string, unknown>>, unreachable: string[] }
    expect(body.unreachable).to.deep.equal([])
    expect(body.jobs.map((j) => j.id)).to.deep.equal([migrate.id, drain.id])
    expect(body.jobs[1]).to.deep.equal(f.jobs.get(drain.id))
    expect(body.jobs[1]).to.deep.include({ kind: 'drain', node: NODE_ID, target: 'peer-b', state: 'running', total: 4, done: 1, failed: 0, message: 'moving room/b', error: null, endedAt: null })
    expect(body.jobs[0]).to.deep.include({ state: 'done', message: 'moved 4 entities', done: 1 })
    const ids = async (query: string): Promise<unknown[]> => ((await api('GET', `/api/v1/jobs${query}`)).json() as typeof body).jobs.map((j) => j.id)
    expect(await ids('?kind=drain')).to.deep.equal([drain.id])
    expect(await ids('?state=done')).to.deep.equal([migrate.id])
    expect(await ids('?kind=drain&state=done')).to.deep.equal([])
    for (const [query, message] of [['?kind=teleport', 'querystring/kind must be one of drain, decommission, rebalance, migrate, repair, backup, verify, restore, sweep'], ['?state=paused', 'querystring/state must be one of running, done, failed, cancelled'],
      ['?kinds=drain', 'querystring must NOT have additional properties: the filters are kind and state']] as const) {
      const bad = await api('GET', `/api/v1/jobs${query}`)
      expect(bad.statusCode, query).to.equal(400)
      expect(bad.json(), query).to.include({ code: 'FST_ERR_VALIDATION', message })
    }
    expect((await f.app.inject({ method: 'GET', url: '/api/v1/jobs' })).statusCode).to.equal(401)
    drain.finish()
  })

  it('should show one job, cancel it, and answer 404 for a job no member has and 400 for what is not a job id', async () => {
    const drain = longJob('drain', null)
    expect((await api('GET', `/api/v1/jobs/${drain.id}`)).json()).to.deep.equal(f.jobs.get(drain.id))
    const cancelled = await api('POST', `/api/v1/jobs/${drain.id}/cancel`)
    expect(cancelled.statusCode).to.equal(200)
    expect(cancelled.json()).to.deep.include({ id: drain.id, state: 'cancelled', message: 'cancelled after 1 of 4', left: [{ item: 'room/a', why: 'its new owner is joining' }] })
    // cancelling it again changes nothing
    expect((await api('POST', `/api/v1/jobs/${drain.id}/cancel`)).json()).to.deep.equal(cancelled.json())
    for (const [method, url] of [['GET', '/api/v1/jobs/drain-99-Test'], ['POST', '/api/v1/jobs/migrate-1-zzzz/cancel']] as const) {
      const res = await api(method, url)
      expect(res.statusCode, url).to.equal(404)
      expect(res.json(), url).to.include({ code: 'UNKNOWN_JOB' })
      expect((res.json() as { message: string }).message).to.match(/^no job (drain-99-Test|migrate-1-zzzz) on any member/)
    }
    for (const id of ['drain', 'drain-1', 'teleport-1-Test', 'drain-0-Test', `drain-1-${'x'.repeat(60)}`]) {
      const res = await api('GET', `/api/v1/jobs/${id}`)
      expect(res.statusCode, id).to.equal(400)
      expect(res.json(), id).to.include({ message: 'params/id must be a job id: KIND-N-XXXX, such as drain-3-k7f2' })
    }
    expect((await f.app.inject({ method: 'POST', url: `/api/v1/jobs/${drain.id}/cancel` })).statusCode).to.equal(401)
  })

  it('should list a repair started with POST /repairs as a job too, its /repairs view unchanged', async () => {
    const started = await api('POST', '/api/v1/repairs', {})
    expect(started.statusCode).to.equal(202)
    const repair = started.json() as { id: string, partitions: number }
    expect(repair.id).to.equal('repair-1')
    const id = `${repair.id}-Test`
    await f.jobs.settled(id, 10_000)
    const { jobs } = (await api('GET', '/api/v1/jobs?kind=repair')).json() as { jobs: Array<{ id: string, state: string, total: number, done: number, failed: number, left: unknown[], target: string | null, message: string }> }
    expect(jobs).to.have.length(1)
    const done = (await api('GET', `/api/v1/repairs/${repair.id}`)).json() as { state: string, partitionsDone: number, failures: string[] }
    // a node alone without anti-entropy compares nothing: each chunk of partitions is a failure
    expect(done).to.deep.include({ state: 'done', partitionsDone: repair.partitions })
    expect(jobs[0]).to.deep.include({ id, state: 'done', target: null, total: repair.partitions, done: repair.partitions, failed: done.failures.length })
    expect(jobs[0]?.left).to.have.length(Math.min(50, done.failures.length))
    expect(jobs[0]?.left[0]).to.deep.equal({ item: `partitions 0, 1, 2, 3 on ${NODE_ID}`, why: 'not repaired: Error: this node does not run anti-entropy' })
    expect(jobs[0]?.message).to.match(/^256 partitions, no other replica to compare with; 0 records filled, 0 repaired, 0 bytes moved; 64 comparisons failed$/)
    // one partition: its target says which
    const all = (await api('POST', '/api/v1/repairs', {})).json() as { id: string }
    expect(all.id).to.equal('repair-2')
    const single = (await api('POST', '/api/v1/repairs', { partition: 7 })).json() as { id: string }
    expect(single.id).to.equal('repair-3')
    expect((await api('GET', `/api/v1/jobs/${single.id}-Test`)).json()).to.include({ target: 'partition/7' })
    // and the metrics count them
    await f.jobs.settled('repair-3-Test', 10_000)
    await f.jobs.settled('repair-2-Test', 10_000)
    const metrics = (await f.app.inject({ method: 'GET', url: '/metrics' })).body
    expect(metrics).to.match(/^plexi_jobs\{kind="repair",state="done"\} 3$/m)
    expect(metrics).to.match(/^plexi_jobs\{kind="drain",state="running"\} 0$/m)
    expect(metrics).to.match(/^plexi_jobs_started_total\{kind="repair"\} 3$/m)
  })

  it('should describe the jobs routes in OpenAPI', async () => {
    const doc = (await f.app.inject({ method: 'GET', url: '/docs/json' })).json() as { paths: Record<string, Record<string, unknown>>, components: { schemas: Record<string, unknown> } }
    expect(Object.keys(doc.paths)).to.include.members(['/api/v1/jobs', '/api/v1/jobs/{id}', '/api/v1/jobs/{id}/cancel'])
    expect(doc.paths['/api/v1/jobs/{id}/cancel']).to.have.key('post')
    expect(JSON.stringify(doc)).to.include('KIND-N-XXXX')
  })
})
