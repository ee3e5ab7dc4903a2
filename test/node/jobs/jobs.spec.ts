import { expect } from 'chai'
import { Jobs, mayRunJob } from '../../../node/jobs/index.ts'
import type { Job, JobControl } from '../../../node/jobs/index.ts'
import { adminSchemas } from '../../../protocols/index.ts'
import { deferred } from '../../helpers/wait-for.ts'

const PEER = '12D3KooWQk7f2'

/** A run the test settles by hand, with the control it was given. */
function controlled (): { run: (control: JobControl) => Promise<string | void>, control: () => JobControl, finish: (message?: string) => void, fail: (err: unknown) => void } {
  const d = deferred<string | void>()
  let given: JobControl | undefined
  return {
    run: async (control) => {
      given = control
      return await d.promise
    },
    control: () => given as JobControl,
    finish: (message) => { d.resolve(message) },
    fail: (err) => { d.reject(err) }
  }
}

describe('Jobs', () => {
  /** Waits (bounded) for the job to end. */
  const ended = async (jobs: Jobs, id: string): Promise<Job> => {
    const job = await jobs.settled(id, 5_000)
    expect(job?.state, `job ${id} did not end in 5 s`).to.not.equal('running')
    return job as Job
  }

  it('should start a job running with a readable id (kind, a count per kind, the end of the peer id), then mark it done with the message its run resolved with', async () => {
    const jobs = new Jobs({ node: PEER })
    const run = controlled()
    const started = jobs.start('drain', 'peer-b', run.run)
    expect(started).to.deep.include({ id: 'drain-1-k7f2', kind: 'drain', node: PEER, target: 'peer-b', state: 'running', total: 0, done: 0, failed: 0, left: [], error: null, endedAt: null })
    expect(started.id).to.match(adminSchemas.JOB_ID_PATTERN)
    expect(Date.parse(started.startedAt)).to.be.closeTo(Date.now(), 60_000)
    expect(jobs.start('drain', null, async () => 'ok').id).to.equal('drain-2-k7f2')
    expect(jobs.start('repair', null, async () => undefined).id).to.equal('repair-1-k7f2')
    expect(mayRunJob(PEER, 'drain-1-k7f2')).to.equal(true)
    expect(mayRunJob('12D3KooWOther', 'drain-1-k7f2')).to.equal(false)
    run.control().progress({ total: 3, done: 1, message: 'moving room/a' })
    expect(jobs.get(started.id)).to.deep.include({ state: 'running', total: 3, done: 1, message: 'moving room/a' })
    run.control().progress({ done: 3 })
    run.finish('moved 3 entities')
    const job = await ended(jobs, started.id)
    expect(job).to.deep.include({ state: 'done', total: 3, done: 3, failed: 0, message: 'moved 3 entities', error: null })
    expect(Date.parse(job.endedAt as string)).to.be.at.least(Date.parse(job.startedAt))
    // a run that says nothing at the end: the counts say how it went
    expect((await ended(jobs, 'repair-1-k7f2')).message).to.equal('done')
    expect(jobs.stats.started).to.deep.include({ drain: 2, repair: 1, migrate: 0 })
  })

  it('should fail a job whose run rejects or throws before it returns a promise, keeping the error', async () => {
    const jobs = new Jobs({ node: PEER })
    const run = controlled()
    const rejecting = jobs.start('migrate', 'room/general', run.run)
    run.control().progress({ total: 2, done: 1 })
    run.fail(new RangeError('the new owner refused the snapshot'))
    expect(await ended(jobs, rejecting.id)).to.deep.include({ state: 'failed', error: 'RangeError: the new owner refused the snapshot', message: 'failed after 1 of 2: RangeError: the new owner refused the snapshot' })
    const throwing = jobs.start('rebalance', null, () => { throw new Error('no members\nat all') })
    expect(await ended(jobs, throwing.id)).to.deep.include({ state: 'failed', error: 'no members at all' })
    const odd = jobs.start('rebalance', null, async () => await Promise.reject('a string'))
    expect(await ended(jobs, odd.id)).to.deep.include({ state: 'failed', error: 'a string' })
  })

  it('should cancel a running job: its signal aborts, it says it is cancelling until its run settles, then it is cancelled for good', async () => {
    const changes: Job[] = []
    const jobs = new Jobs({ node: PEER, onChange: (job) => { changes.push(job) } })
    const run = controlled()
    const job = jobs.start('decommission', 'peer-c', run.run)
    run.control().progress({ total: 10, done: 4, message: 'moving room/x' })
    const cancelling = jobs.cancel(job.id)
    expect(cancelling).to.deep.include({ state: 'running', message: 'cancelling: moving room/x' })
    expect(run.control().signal.aborted).to.equal(true)
    expect(run.control().signal.reason).to.have.property('name', 'JobCancelledError')
    // cancelling twice tells the run once
    expect(jobs.cancel(job.id)?.message).to.equal('cancelling: moving room/x')
    // the run stops by rejecting with the signal's reason, as AbortSignal#throwIfAborted does
    run.fail(run.control().signal.reason)
    const cancelled = await ended(jobs, job.id)
    expect(cancelled).to.deep.include({ state: 'cancelled', error: null, message: 'cancelled after 4 of 10', done: 4 })
    // ended: a cancel, or late progress, changes nothing
    expect(jobs.cancel(job.id)).to.deep.equal(cancelled)
    run.control().progress({ done: 9, message: 'still going?' })
    expect(jobs.get(job.id)).to.deep.equal(cancelled)
    expect(jobs.cancel('drain-99-k7f2')).to.equal(undefined)
    expect(changes.map((c) => c.state)).to.deep.equal(['running', 'running', 'running', 'cancelled'])
  })

  it('should call a job cancelled even when its run ignores the signal and resolves, with what the run said', async () => {
    const jobs = new Jobs({ node: PEER })
    const run = controlled()
    const job = jobs.start('drain', 'peer-b', run.run)
    jobs.cancel(job.id)
    run.finish('stopped after 2 entities')
    expect(await ended(jobs, job.id)).to.deep.include({ state: 'cancelled', message: 'stopped after 2 entities', error: null })
    // a finished job is not cancelled
    const done = jobs.start('drain', null, async () => 'all moved')
    await ended(jobs, done.id)
    expect(jobs.cancel(done.id)).to.deep.include({ state: 'done', message: 'all moved' })
  })

  it('should keep at most 50 left items and bounded strings, and refuse progress it cannot take', async () => {
    const jobs = new Jobs({ node: PEER })
    const run = controlled()
    const job = jobs.start('drain', null, run.run)
    const c = run.control()
    c.progress({ total: 200, left: Array.from({ length: 120 }, (_, i) => ({ item: `room/r${i}`, why: 'its new owner is down' })), message: `line one\nline two ${'x'.repeat(1_000)}` })
    const now = jobs.get(job.id) as Job
    expect(now.left).to.have.length(adminSchemas.MAX_JOB_LEFT)
    expect(now.left[0]).to.deep.equal({ item: 'room/r0', why: 'its new owner is down' })
    expect(now.message).to.have.length(adminSchemas.MAX_JOB_MESSAGE)
    expect(now.message).to.match(/^line one line two x+…$/)
    c.progress({ left: [{ item: 'i'.repeat(1_000), why: 'w'.repeat(1_000) }] })
    expect((jobs.get(job.id) as Job).left[0]?.item).to.have.length(adminSchemas.MAX_JOB_ITEM)
    expect((jobs.get(job.id) as Job).left[0]?.why).to.have.length(adminSchemas.MAX_JOB_WHY)
    const before = jobs.get(job.id)
    for (const bad of [{ total: -1 }, { done: 1.5 }, { failed: Number.NaN }, { total: '3' }, { message: 7 }, { left: 'all' }, { left: [{ item: 'a' }] }, null]) {
      expect(() => { c.progress(bad as never) }, JSON.stringify(bad)).to.throw().with.property('name', 'InvalidJobError')
    }
    // a refused report changed nothing
    expect(jobs.get(job.id)).to.deep.equal(before)
    // what a caller holds is a copy
    const copy = jobs.get(job.id) as unknown as { left: Array<{ item: string }> }
    copy.left[0] = { item: 'changed' }
    expect(jobs.get(job.id)?.left[0]?.item).to.not.equal('changed')
    run.finish()
    await ended(jobs, job.id)
  })

  it('should refuse a job of an unknown kind or with a bad target', () => {
    const jobs = new Jobs({ node: PEER })
    for (const [kind, target] of [['teleport', null], ['drain', ''], ['drain', 'x'.repeat(257)], ['drain', 7]] as const) {
      expect(() => jobs.start(kind as never, target as never, async () => undefined), `${kind} ${String(target)}`).to.throw().with.property('name', 'InvalidJobError')
    }
    expect(jobs.list()).to.deep.equal([])
    expect(() => new Jobs({ node: '' })).to.throw(/peer id/)
    expect(() => new Jobs({ node: PEER, max: -1 })).to.throw(/max/)
  })

  it('should remember the last max finished jobs, never forget a running one, and list the newest first', async () => {
    const jobs = new Jobs({ node: PEER, max: 3 })
    const long = controlled()
    const running = jobs.start('rebalance', null, long.run)
    const ids: string[] = []
    for (let i = 0; i < 6; i++) {
      const job = jobs.start('repair', `partition/${i}`, async () => `partition ${i}`)
      ids.push(job.id)
      await ended(jobs, job.id)
    }
    expect(jobs.list().map((j) => j.id)).to.deep.equal([ids[5], ids[4], ids[3], running.id])
    expect(jobs.get(ids[0] as string)).to.equal(undefined)
    expect(jobs.running().map((j) => j.id)).to.deep.equal([running.id])
    expect(jobs.running('rebalance')).to.have.length(1)
    expect(jobs.running('drain')).to.deep.equal([])
    long.finish()
    await ended(jobs, running.id)
    // the rebalance is the oldest of four finished now: forgotten
    expect(jobs.list().map((j) => j.id)).to.deep.equal([ids[5], ids[4], ids[3]])
  })

  it('should keep running a job whose change listener throws', async () => {
    const jobs = new Jobs({ node: PEER, onChange: () => { throw new Error('listener broke') } })
    const job = jobs.start('migrate', 'room/a', async (c) => {
      c.progress({ total: 1, done: 1 })
      return 'moved'
    })
    expect(await ended(jobs, job.id)).to.deep.include({ state: 'done', message: 'moved' })
  })

  it('should answer settled() with a running job as it is once the wait is over', async () => {
    const jobs = new Jobs({ node: PEER })
    const run = controlled()
    const job = jobs.start('drain', null, run.run)
    expect((await jobs.settled(job.id, 10))?.state).to.equal('running')
    expect(await jobs.settled('drain-7-k7f2', 10)).to.equal(undefined)
    run.finish()
    await ended(jobs, job.id)
  })
})
