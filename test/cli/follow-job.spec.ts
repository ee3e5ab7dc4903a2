import { expect } from 'chai'
import { PassThrough } from 'node:stream'
import { AdminClient } from '../../cli/admin-client.ts'
import type { CliIo } from '../../cli/cli-io.ts'
import { EXIT_INTERRUPTED, followJob, jobExitCode } from '../../cli/follow-job.ts'
import type { JobControl } from '../../node/index.ts'
import type { Job } from '../../protocols/index.ts'
import { ADMIN_TOKEN, AdminFixture } from '../helpers/admin-fixture.ts'
import { deferred, waitFor } from '../helpers/wait-for.ts'

/** A CliIo whose output the test reads; `tty`: stderr is a terminal. */
function capture (tty = false): CliIo & { out: () => string, err: () => string } {
  const stdout = new PassThrough()
  const stderr = Object.assign(new PassThrough(), tty ? { isTTY: true, columns: 120 } : {})
  let out = ''
  let err = ''
  stdout.on('data', (chunk: Buffer) => { out += chunk.toString() })
  stderr.on('data', (chunk: Buffer) => { err += chunk.toString() })
  return { stdout, stderr, stdin: new PassThrough(), env: {}, cwd: process.cwd(), out: () => out, err: () => err }
}

/** followJob against a real admin endpoint (Fastify listening on loopback, a real store), on jobs
 * the test drives step by step. */
describe('followJob', function () {
  this.timeout(20_000)
  const f = new AdminFixture()
  let api: AdminClient
  beforeEach(async () => {
    await f.setup()
    await f.app.listen({ host: '127.0.0.1', port: 0 })
    api = new AdminClient(`http://127.0.0.1:${(f.app.server.address() as { port: number }).port}`, ADMIN_TOKEN)
  })
  afterEach(async () => { await f.teardown() })

  /** A drain of 4 entities that moves one each time the test calls `step`, and ends after the last
   * (or fails, when `failAt` is reached; or stops when cancelled). */
  function stepped (failAt?: number): { id: string, step: () => void, control: () => JobControl } {
    let control: JobControl | undefined
    const steps: Array<() => void> = []
    const job = f.jobs.start('drain', 'peer-b', async (c) => {
      control = c
      const cancelled = new Promise<never>((_resolve, reject) => { c.signal.addEventListener('abort', () => { reject(c.signal.reason) }) })
      cancelled.catch(() => undefined)
      c.progress({ total: 4, message: 'moving room/0' })
      for (let i = 1; i <= 4; i++) {
        const next = deferred()
        steps.push(next.resolve)
        await Promise.race([next.promise, cancelled])
        if (i === failAt) throw new Error(`room/${i} would not move`)
        c.progress({ done: i, message: `moving room/${i}`, ...(i === 2 && { failed: 1, left: [{ item: 'room/x', why: 'its new owner is down' }] }) })
      }
      return 'moved 3 entities, 1 left'
    })
    return { id: job.id, step: () => { steps.shift()?.() }, control: () => control as JobControl }
  }

  /** Steps the job on each time the follower has shown what it did, until it ends. */
  async function drive (job: { id: string, step: () => void }, shown: () => string, following: Promise<Job>): Promise<Job> {
    let settled = false
    void following.finally(() => { settled = true }).catch(() => undefined)
    for (let i = 1; i <= 4 && !settled; i++) {
      await waitFor(() => settled || shown().includes(i === 1 ? 'moving room/0' : `moving room/${i - 1}`), `the follower to show step ${i - 1}`, { timeout: 5_000 })
      job.step()
    }
    return await following
  }

  it('should print one plain line per change on stderr and how it ended on stdout, exit code 0 when done', async () => {
    const io = capture()
    const job = stepped()
    const final = await drive(job, io.err, followJob(api, job.id, io, { intervalMs: 20 }))
    expect(final).to.deep.include({ state: 'done', done: 4, failed: 1, message: 'moved 3 entities, 1 left' })
    expect(jobExitCode(final)).to.equal(0)
    const lines = io.err().split('\n')
    expect(lines[0]).to.equal(`${job.id} running 0/4: moving room/0`)
    expect(lines).to.include(`${job.id} running 2/4 (1 failed): moving room/2`)
    // each change once, however often it was asked for
    expect(new Set(lines).size).to.equal(lines.length)
    expect(io.err()).to.include(`${job.id} left 1:\n  room/x: its new owner is down\n`)
    expect(io.out()).to.equal(`${job.id} done: moved 3 entities, 1 left\n`)
  })

  it('should print one JSON line per changed job on stdout with --json, and exit code 1 when it failed', async () => {
    const io = capture()
    const job = stepped(3)
    const final = await drive(job, io.out, followJob(api, job.id, io, { json: true, intervalMs: 20 }))
    expect(final).to.deep.include({ state: 'failed', error: 'room/3 would not move', done: 2 })
    expect(jobExitCode(final)).to.equal(1)
    const jobs = io.out().trim().split('\n').map((l) => JSON.parse(l) as Job)
    expect(jobs.map((j) => j.done)).to.deep.equal([0, 1, 2, 2])
    expect(jobs.at(-1)).to.deep.equal(f.jobs.get(job.id))
    expect(new Set(jobs.map((j) => JSON.stringify(j))).size).to.equal(jobs.length)
  })

  it('should draw a progress bar on a terminal, and end it with how the job ended', async () => {
    const io = capture(true)
    const job = stepped()
    const final = await drive(job, io.err, followJob(api, job.id, io, { intervalMs: 20 }))
    expect(final.state).to.equal('done')
    expect(io.err()).to.include(`${job.id} [`)
    expect(io.err()).to.match(/█+░+\] 2\/4 \(1 failed\) \| moving room\/2/)
    expect(io.out()).to.equal(`${job.id} done: moved 3 entities, 1 left\n`)
  })

  it('should stop following on Ctrl-C, leave the job running and say how to follow it again', async () => {
    const listeners = process.listenerCount('SIGINT')
    const io = capture()
    const job = stepped()
    const following = followJob(api, job.id, io, { intervalMs: 20 })
    await waitFor(() => io.err().includes('moving room/0'), 'the first line')
    // as the terminal's Ctrl-C does: the follower's own SIGINT listener takes it
    process.emit('SIGINT')
    const last = await following
    expect(last.state).to.equal('running')
    expect(jobExitCode(last)).to.equal(EXIT_INTERRUPTED)
    expect(io.err()).to.include(`stopped following ${job.id}; the job goes on. Follow it again: plexi admin jobs ${job.id} --watch; cancel it: plexi admin jobs ${job.id} --cancel`)
    expect(process.listenerCount('SIGINT')).to.equal(listeners)
    expect(f.jobs.get(job.id)?.state).to.equal('running')
    // a signal stops it the same way; cancelled, the job ends so
    const stop = new AbortController()
    stop.abort()
    expect((await followJob(api, job.id, capture(), { signal: stop.signal }).catch((e: unknown) => e))).to.have.property('message').that.matches(/stopped before job .* was shown/)
    f.jobs.cancel(job.id)
    const cancelled = await followJob(api, job.id, capture(), { intervalMs: 20 })
    expect(cancelled).to.deep.include({ state: 'cancelled', message: 'cancelled after 0 of 4' })
    expect(jobExitCode(cancelled)).to.equal(1)
    expect(job.control().signal.aborted).to.equal(true)
  })

  it('should fail with the node\'s words for a job no member has', async () => {
    const err = await followJob(api, 'drain-9-Test', capture()).then(() => undefined, (e: unknown) => e)
    expect(err).to.have.property('name', 'CliError')
    expect(err).to.have.nested.property('answer.status', 404)
    expect((err as { answer: { message: string } }).answer.message).to.match(/^no job drain-9-Test on any member/)
  })
})
