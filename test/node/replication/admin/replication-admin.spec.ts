import { expect } from 'chai'
import { ActorSystem } from '../../../../actors/index.ts'
import { LevelStore, ReplicatedJournal, ReplicationAdmin, Scrubber, openLocalJournal } from '../../../../node/index.ts'
import { tempDir } from '../../../helpers/temp-dir.ts'

const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined }

/** What `GET /api/v1/partitions`, `/storage-nodes` and `/scrub` show, on a node alone (its own
 * replicas answer directly; other nodes' answers are the inspector's: replication-inspector.spec). */
describe('ReplicationAdmin', () => {
  let dir: { path: string, remove: () => Promise<void> }
  let store: LevelStore
  let system: ActorSystem
  let journal: ReplicatedJournal
  beforeEach(async () => {
    dir = await tempDir()
    store = await LevelStore.open(dir.path)
    journal = await openLocalJournal(store, { self: 'me-node', partitions: 8 })
    system = new ActorSystem({ node: 'me-node', journal, strictSerialization: true })
  })
  afterEach(async () => {
    await system.terminate()
    await store.close()
    await dir.remove()
  })

  const write = async (entity: string, records: number): Promise<void> => {
    const log = await journal.open(entity)
    await log.append(Array.from({ length: records }, (_, i) => ({ seq: i + 1, event: { n: i + 1 } })))
    log.close()
  }

  it('should list every partition with its replicas, what each holds, its Merkle root and its lag', async () => {
    await write('room/a', 3)
    await write('room/b', 2)
    const admin = new ReplicationAdmin({ system, journal, members: () => [], log: quiet })
    const { partitions, unreachable } = await admin.partitions()
    expect(unreachable).to.deep.equal([])
    expect(partitions).to.have.length(8)
    const pa = admin.partitionOf('room/a')
    const row = partitions[pa]
    expect(row).to.deep.include({ partition: pa, writeQuorum: 1 })
    const records = pa === admin.partitionOf('room/b') ? 5 : 3
    expect(row?.replicas).to.have.length(1)
    expect(row?.replicas[0]).to.deep.include({ peerId: 'me-node', status: 'up', records, lag: 0, merkleRoot: journal.storage.rootOf(pa) })
    // a partition it holds nothing of: none, and the empty tree's root
    const empty = partitions.find((p) => p.partition !== pa && p.partition !== admin.partitionOf('room/b'))
    expect(empty?.replicas[0]).to.deep.include({ entities: 0, records: 0, merkleRoot: journal.storage.rootOf(empty?.partition ?? 0) })
    // one partition asked for, and one the cluster does not have
    expect((await admin.partitions(pa)).partitions.map((p) => p.partition)).to.deep.equal([pa])
    const err = await admin.partitions(8).then(() => null, (e: unknown) => e)
    expect(err).to.have.property('name', 'UnknownPartitionError')
  })

  it('should list the partitions of a span alone, each as the whole table shows it, the part past the last left out', async () => {
    for (let i = 0; i < 24; i++) await write(`room/r${i}`, 1 + (i % 3))
    const admin = new ReplicationAdmin({ system, journal, members: () => [], log: quiet })
    const all = (await admin.partitions()).partitions
    expect((await admin.partitions({ from: 2, to: 4 })).partitions).to.deep.equal(all.slice(2, 5))
    expect((await admin.partitions({ from: 5, to: 20 })).partitions).to.deep.equal(all.slice(5))
    expect((await admin.partitions({ from: 8, to: 9 })).partitions).to.deep.equal([])
    // the storage's own span: the states of those partitions alone
    const stats = await journal.storage.partitionStats({ from: 3, to: 3 })
    expect([...stats.keys()]).to.deep.equal(all[3]?.replicas[0]?.entities === 0 ? [] : [3])
  })

  it('should show its scrub, or that it does not answer one, and itself as the storage node of a node alone', async () => {
    await write('room/a', 4)
    const scrubber = new Scrubber({ self: 'me-node', journal, live: () => new Set(['me-node']), bytesPerSecond: 0, intervalMs: 0, log: quiet })
    await scrubber.runOnce()
    const admin = new ReplicationAdmin({ system, journal, members: () => [], log: quiet, parts: { antiEntropy: () => undefined, scrubber: () => scrubber } })
    const [row] = await admin.scrub(false)
    expect(row).to.deep.include({ peerId: 'me-node', answered: true, running: false, passes: 1, corruptFound: 0, quarantined: 0, progress: 1 })
    const without = new ReplicationAdmin({ system, journal, members: () => [], log: quiet })
    expect((await without.scrub(false))[0]).to.deep.include({ peerId: 'me-node', answered: false, passes: null })
    expect(await admin.storageNodes()).to.deep.equal([{ peerId: 'me-node', status: 'up', state: 'active', handOff: null, catchUp: null }])
    // repairs are its RepairJobs' (repair-jobs.spec): started, and found again by id
    const job = admin.startRepair(0)
    expect(admin.job(job.id)?.id).to.equal('repair-1')
    expect(admin.jobs().map((j) => j.id)).to.deep.equal(['repair-1'])
  })

  it('should show a replica on a node that is down as not reporting, and that node as unreachable', async () => {
    const roster = [{ peerId: 'me-node', roles: ['storage'], capacity: 1 }, { peerId: 'other', roles: ['storage'], capacity: 1 }]
    const two = new ReplicatedJournal({ self: 'me-node', storage: journal.storage, roster: () => roster, remote: async () => await Promise.reject(new Error('down')) })
    const admin = new ReplicationAdmin({ system, journal: two, members: () => [{ peerId: 'other', status: 'down' }], log: quiet })
    const { partitions, unreachable } = await admin.partitions(0)
    expect(unreachable).to.deep.equal(['other'])
    const other = partitions[0]?.replicas.find((r) => r.peerId === 'other')
    expect(other).to.deep.include({ status: 'down', records: null, lag: null, merkleRoot: null, lastRepair: null })
    expect(partitions[0]?.replicas.find((r) => r.peerId === 'me-node')).to.deep.include({ status: 'up', lag: 0 })
  })
})
