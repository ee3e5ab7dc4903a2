import { expect } from 'chai'
import { ActorSystem } from '../../../../actors/index.ts'
import { Jobs, LevelStore, MAX_REPAIR_JOBS, RepairJobs, openLocalJournal } from '../../../../node/index.ts'
import type { AntiEntropy, ReplicatedJournal } from '../../../../node/index.ts'
import { tempDir } from '../../../helpers/temp-dir.ts'
import { deferred, waitFor } from '../../../helpers/wait-for.ts'

/** Repair jobs are jobs of the node too (GET /api/v1/jobs), and a cancelled one stops. */
describe('RepairJobs', () => {
  let dir: { path: string, remove: () => Promise<void> }
  let store: LevelStore
  let system: ActorSystem
  let journal: ReplicatedJournal
  beforeEach(async () => {
    dir = await tempDir()
    store = await LevelStore.open(dir.path)
    journal = await openLocalJournal(store, { self: 'me-node', partitions: 16 })
    system = new ActorSystem({ node: 'me-node', journal, strictSerialization: true })
  })
  afterEach(async () => {
    await system.terminate()
    await store.close()
    await dir.remove()
  })

  it('should register a repair as a job with its progress, and stop a cancelled one between chunks, failed in its /repairs view', async () => {
    const jobs = new Jobs({ node: 'me-node' })
    // anti-entropy that repairs the first chunk when the test says so (the rest at once)
    const first = deferred()
    const asked: number[][] = []
    const antiEntropy = {
      repair: async (partitions: number[]) => {
        asked.push(partitions)
        if (asked.length === 1) await first.promise
        return { partitions: partitions.length, peers: 2, records: 1, repaired: 0, bytes: 10, divergent: 0, failures: [] }
      }
    } as unknown as AntiEntropy
    const repairs = new RepairJobs({ system, journal, members: () => [], parts: { antiEntropy: () => antiEntropy, scrubber: () => undefined }, jobs })
    const started = repairs.start()
    expect(started).to.deep.include({ id: 'repair-1', state: 'running', partitions: 16, partitionsDone: 0 })
    const id = 'repair-1-node'
    expect(jobs.get(id)).to.deep.include({ kind: 'repair', target: null, state: 'running', total: 16, done: 0, message: 'comparing the replicas of partitions 0, 1, 2, 3; 0 records moved so far' })
    expect(jobs.cancel(id)?.state).to.equal('running')
    first.resolve()
    const cancelled = await jobs.settled(id, 5_000)
    expect(cancelled).to.deep.include({ state: 'cancelled', done: 4, total: 16, error: null })
    // no chunk after the cancel
    expect(asked).to.deep.equal([[0, 1, 2, 3]])
    await waitFor(() => repairs.job('repair-1')?.endedAt !== null, 'the repair\'s own view to end')
    expect(repairs.job('repair-1')).to.deep.include({ state: 'failed', partitionsDone: 4, failures: ['cancelled after 4 of 16 partitions'] })

    // a repair left alone: done, its summary the job's message
    const whole = repairs.start(5)
    expect(whole.id).to.equal('repair-2')
    const done = await jobs.settled('repair-2-node', 5_000)
    expect(done).to.deep.include({ state: 'done', target: 'partition/5', total: 1, done: 1, failed: 0, left: [], message: 'partition 5, 2 replica comparisons; 1 records filled, 0 repaired, 10 bytes moved' })
    expect(repairs.list().map((j) => j.id)).to.deep.equal(['repair-1', 'repair-2'])
  })

  it('should refuse a partition the cluster does not have, and keep the last MAX_REPAIR_JOBS jobs, each failed where its node runs no anti-entropy', async () => {
    const repairs = new RepairJobs({ system, journal, members: () => [], parts: { antiEntropy: () => undefined, scrubber: () => undefined } })
    expect(() => repairs.start(16)).to.throw().with.property('name', 'UnknownPartitionError')
    for (let i = 0; i < MAX_REPAIR_JOBS + 2; i++) repairs.start(i % 16)
    await waitFor(() => repairs.list().every((j) => j.endedAt !== null), 'every repair to end')
    const ids = repairs.list().map((j) => j.id)
    expect(ids).to.have.length(MAX_REPAIR_JOBS)
    expect(ids[0]).to.equal('repair-3')
    expect(repairs.job('repair-1')).to.equal(undefined)
    // the job ends done: a node that cannot repair is one comparison that failed, in words
    expect(repairs.job('repair-3')).to.deep.include({ state: 'done', partitionsDone: 1, comparisons: 0 })
    expect(repairs.job('repair-3')?.failures).to.deep.equal(['me-node: partitions 2 not repaired: Error: this node does not run anti-entropy'])
  })
})
