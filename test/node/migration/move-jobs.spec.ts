import { expect } from 'chai'
import type { ActorSystem, RemotingPort } from '../../../actors/index.ts'
import { Jobs } from '../../../node/jobs/index.ts'
import { Migrator, MoveJobs } from '../../../node/migration/index.ts'
import { waitFor } from '../../helpers/wait-for.ts'
import { quiet } from './fixtures/one-node.ts'

describe('MoveJobs', function () {
  this.timeout(20_000)

  /** A migrator whose `n` active rooms placement gives to n2; each release waits its turn. */
  function slowMigrator (n: number): { migrator: Migrator, next: () => void } {
    const turns: Array<() => void> = []
    const port = {
      node: 'n1',
      roleOf: () => 'chat',
      activeEntities: () => Array.from({ length: n }, (_, i) => ['room', `r${i}`]),
      release: () => new Promise((resolve) => { turns.push(() => { resolve({ outcome: 'not-active' }) }) })
    } as unknown as RemotingPort
    const placement = { ownerOf: () => 'n2', previousOwners: () => [], holds: () => true, pinOf: () => undefined }
    const migrator = new Migrator({ system: undefined as unknown as ActorSystem, port, placement, live: () => true, busyMs: 1_000, graceMs: 100, concurrency: 1, log: quiet })
    return { migrator, next: () => { turns.shift()?.() } }
  }

  it('should report a drain\'s queued moves as one job, joining the moves queued later, and end it when none is left', async () => {
    const { migrator, next } = slowMigrator(3)
    const jobs = new Jobs({ node: 'n1' })
    const moveJobs = new MoveJobs(jobs, migrator)
    moveJobs.queued('drain', migrator.rebalance('drain'))
    moveJobs.queued('drain', 0)
    const [job] = jobs.list()
    expect(jobs.list()).to.have.length(1)
    expect(job).to.include({ kind: 'drain', target: 'n1' })
    // the job's total grows with a second batch queued while it runs
    moveJobs.queued('drain', 1)
    await waitFor(() => jobs.get(job?.id as string)?.total === 4, 'the job to count both batches', { timeout: 5_000, interval: 10 })
    // each move's release ends when the test lets it: one at a time, as they come
    await waitFor(() => { next(); return jobs.get(job?.id as string)?.state !== 'running' }, 'the moves to end', { timeout: 10_000, interval: 10 })
    const ended = await jobs.settled(job?.id as string, 10_000)
    expect(ended?.state).to.equal('done')
    expect(ended?.message).to.match(/entities moved/)
  })

  it('should start no job for a claim or an admin\'s move, nor for nothing queued', () => {
    const { migrator } = slowMigrator(0)
    const jobs = new Jobs({ node: 'n1' })
    const moveJobs = new MoveJobs(jobs, migrator)
    moveJobs.queued('claim', 3)
    moveJobs.queued('admin', 1)
    moveJobs.queued('rebalance', 0)
    expect(jobs.list()).to.deep.equal([])
  })
})
