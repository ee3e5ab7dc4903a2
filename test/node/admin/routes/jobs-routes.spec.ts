import { expect } from 'chai'
import { jobsRoutes } from '../../../../node/admin/routes/jobs-routes.ts'
import { ADMIN_TOKEN as TOKEN, AdminFixture, NODE_ID } from '../../../helpers/admin-fixture.ts'
import { pluginApp } from '../../../helpers/admin-plugin.ts'

describe('jobsRoutes', () => {
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
    for (const [query, message] of [['?kind=teleport', 'querystring/kind must be one of drain, decommission, rebalance, migrate, repair, backup, verify, restore, sweep, erase, retention, reindex, pull'], ['?state=paused', 'querystring/state must be one of running, done, failed, cancelled'],
      ['?kinds=drain', 'querystring must NOT have additional properties: the filters are kind and state']] as const) {
      const bad = await api('GET', `/api/v1/jobs${query}`)
      expect(bad.statusCode, query).to.equal(400)
      expect(bad.json(), query).to.include({ code: 'FST_ERR_VALIDATION', message })
    }
    expect((await f.app.inject({ method: 'GET', url: '/api/v1/jobs' })).statusCode).to.equal(401)
    drain.finish()
  })

  it('should list a job cancelled through this node as cancelled at the next listing, though a listing is kept for the reads after it', async () => {
    const drain = longJob('drain', 'peer-b')
    const states = async (): Promise<unknown[]> => ((await api('GET', '/api/v1/jobs')).json() as { jobs: Array<{ state: string }> }).jobs.map((j) => j.state)
    expect(await states()).to.deep.equal(['running'])
    expect((await api('POST', `/api/v1/jobs/${drain.id}/cancel`)).statusCode).to.equal(200)
    expect(await states()).to.deep.equal(['cancelled'])
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

  it('should list none and find none on a node that keeps no jobs, served alone, and explain a bad filter all the same', async () => {
    const app = await pluginApp(jobsRoutes({}))
    try {
      expect((await app.inject({ method: 'GET', url: '/api/v1/jobs' })).json()).to.deep.equal({ jobs: [], unreachable: [] })
      for (const [method, url] of [['GET', '/api/v1/jobs/drain-1-Test'], ['POST', '/api/v1/jobs/drain-1-Test/cancel']] as const) {
        expect((await app.inject({ method, url })).json(), url).to.deep.include({ statusCode: 404, code: 'UNKNOWN_JOB', message: 'no job drain-1-Test on any member' })
      }
      expect((await app.inject({ method: 'GET', url: '/api/v1/jobs?state=paused' })).json()).to.deep.include({ message: 'querystring/state must be one of running, done, failed, cancelled' })
    } finally {
      await app.close()
    }
  })
})
