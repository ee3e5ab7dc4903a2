import { expect } from 'chai'
import { ActorSystem } from '../../../actors/index.ts'
import { CatchUp, Jobs, LevelReplicaStorage, LevelStore, ReplicatedJournal, ReplicationAdmin, checkCatchUp, checkTakeOverResult, openLocalJournal, replicationInspector } from '../../../node/index.ts'
import type { AntiEntropy, ReplicationMsg } from '../../../node/index.ts'
import { tempDir } from '../../helpers/temp-dir.ts'
import { deferred, waitFor } from '../../helpers/wait-for.ts'

/** What every node answers at /replication (other nodes' admin listings, hand-offs and repairs ask
 * it): bad requests are refused with a clear error and change nothing; answers from other nodes
 * are checked before they are shown or trusted. */
describe('replication inspector', () => {
  let dir: { path: string, remove: () => Promise<void> }
  let store: LevelStore
  let system: ActorSystem
  beforeEach(async () => {
    dir = await tempDir()
    store = await LevelStore.open(dir.path)
    system = new ActorSystem({ journal: await openLocalJournal(store), strictSerialization: true })
  })
  afterEach(async () => {
    await system.terminate()
    await store.close()
    await dir.remove()
  })

  it('should refuse malformed requests with InvalidReplicaRequestError and keep answering, and tell its catch-up', async () => {
    const storage = await LevelReplicaStorage.open(store)
    const journal = new ReplicatedJournal({ self: 'me', storage, roster: () => [{ peerId: 'me', roles: ['storage'], capacity: 1 }], remote: async () => await Promise.reject(new Error('alone')) })
    const catchUp = await CatchUp.open({
      self: 'me', journal, store, cluster: true, members: () => [], replaceAfterMs: 0, replicationFactor: 3, onRosterChanged: () => undefined, log: { info: () => undefined, warn: () => undefined },
      roster: { known: () => [{ peerId: 'me' }], candidates: () => [{ peerId: 'me' }], isLeaving: () => false, isReplaced: () => false, replace: () => false },
      pull: async () => await Promise.reject(new Error('no one to pull from'))
    })
    const ref = system.spawn(replicationInspector(storage, { antiEntropy: () => undefined, scrubber: () => undefined, catchUp: () => catchUp }), { name: 'replication' })
    const ask = async (msg: object): Promise<unknown> => await ref.ask<unknown>((replyTo) => ({ ...msg, replyTo } as unknown as ReplicationMsg), { timeout: 5_000 }).then((v) => v, (e: unknown) => e)
    for (const bad of [{ type: 'nonsense' }, { type: 'repair', partitions: [99] }, { type: 'repair', partitions: 'all' }, { type: 'scrub', start: 'yes' }, { type: 'take-over', partition: -1, from: 'x' }, { type: 'take-over', partition: 1, from: '' }]) {
      const err = await ask(bad)
      expect(err, JSON.stringify(bad)).to.have.property('name', 'InvalidReplicaRequestError')
    }
    // still answering: its catch-up (a new node alone holds nothing whole until its first check)
    expect(checkCatchUp(await ask({ type: 'catch-up' }))).to.deep.equal({ partitions: 256, caughtUp: 0, waiting: [], replaced: [] })
    await catchUp.runOnce()
    expect(checkCatchUp(await ask({ type: 'catch-up' }))).to.deep.include({ partitions: 256, caughtUp: 256 })
  })

  it('should refuse answers from other nodes that are not a catch-up status or a take-over result', () => {
    for (const bad of [null, 7, { partitions: -1, caughtUp: 0, waiting: [], replaced: [] }, { partitions: 1, caughtUp: 0, waiting: 'x', replaced: [] }, { partitions: 1, caughtUp: 0, waiting: [], replaced: [3] }]) {
      expect(() => checkCatchUp(bad), JSON.stringify(bad)).to.throw(/not a catch-up status/)
    }
    for (const bad of [null, { records: 1, repaired: 0, divergent: 0, movedOn: 0, peerNewer: ['no slash'] }, { records: 'many', repaired: 0, divergent: 0, movedOn: 0, peerNewer: [] }]) {
      expect(() => checkTakeOverResult(bad), JSON.stringify(bad)).to.throw(/not a take-over result/)
    }
    expect(checkTakeOverResult({ records: 1, repaired: 0, divergent: 0, movedOn: 0, peerNewer: ['room/a'] })).to.deep.include({ records: 1 })
  })
})

/** Repair jobs are jobs of the node too (GET /api/v1/jobs), and a cancelled one stops. */
describe('ReplicationAdmin repairs as jobs', () => {
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
    const admin = new ReplicationAdmin({ system, journal, members: () => [], log: { warn: () => undefined }, parts: { antiEntropy: () => antiEntropy, scrubber: () => undefined }, jobs })
    const started = admin.startRepair()
    expect(started).to.deep.include({ id: 'repair-1', state: 'running', partitions: 16, partitionsDone: 0 })
    const id = 'repair-1-node'
    expect(jobs.get(id)).to.deep.include({ kind: 'repair', target: null, state: 'running', total: 16, done: 0, message: 'comparing the replicas of partitions 0, 1, 2, 3; 0 records moved so far' })
    expect(jobs.cancel(id)?.state).to.equal('running')
    first.resolve()
    const cancelled = await jobs.settled(id, 5_000)
    expect(cancelled).to.deep.include({ state: 'cancelled', done: 4, total: 16, error: null })
    // no chunk after the cancel
    expect(asked).to.deep.equal([[0, 1, 2, 3]])
    await waitFor(() => admin.job('repair-1')?.endedAt !== null, 'the repair\'s own view to end')
    expect(admin.job('repair-1')).to.deep.include({ state: 'failed', partitionsDone: 4, failures: ['cancelled after 4 of 16 partitions'] })

    // a repair left alone: done, its summary the job's message
    const whole = admin.startRepair(5)
    expect(whole.id).to.equal('repair-2')
    const done = await jobs.settled('repair-2-node', 5_000)
    expect(done).to.deep.include({ state: 'done', target: 'partition/5', total: 1, done: 1, failed: 0, left: [], message: 'partition 5, 2 replica comparisons; 1 records filled, 0 repaired, 10 bytes moved' })
    expect(admin.jobs().map((j) => j.id)).to.deep.equal(['repair-1', 'repair-2'])
  })
})
