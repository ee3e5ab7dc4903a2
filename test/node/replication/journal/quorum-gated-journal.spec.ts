import { expect } from 'chai'
import { LevelReplicaStorage, LevelStore, QuorumGatedJournal, ReplicaCore, ReplicasUnavailableError, ReplicatedJournal, WriteQuorum } from '../../../../node/index.ts'
import type { ReplicaRequest, ReplyOf } from '../../../../node/index.ts'
import { tempDir } from '../../../helpers/temp-dir.ts'

/**
 * The journal's gate on the write quorum: two real replicas (LevelDB in temp dirs), R=2 W=2, the
 * other one reached through a network the test can make silent (what a switch dropping packets
 * does: a request goes out and nothing comes back) and a view of the members the test sets.
 */
describe('QuorumGatedJournal', () => {
  const PARTITIONS = 4
  const roster = [{ peerId: 'me', roles: ['storage'], capacity: 1 }, { peerId: 'other', roles: ['storage'], capacity: 1 }]
  let dirs: Array<{ path: string, remove: () => Promise<void> }> = []
  let stores: LevelStore[] = []
  let live: Set<string>
  /** While set, requests to 'other' wait here (silently) until released. */
  let silent: Array<() => void> | undefined
  let calls: number
  let quorum: WriteQuorum
  let inner: ReplicatedJournal
  let journal: QuorumGatedJournal
  let warnings: string[]

  beforeEach(async () => {
    dirs = [await tempDir(), await tempDir()]
    stores = await Promise.all(dirs.map(async (d) => await LevelStore.open(d.path)))
    const mine = await LevelReplicaStorage.open(stores[0] as LevelStore, PARTITIONS)
    const other = new ReplicaCore(await LevelReplicaStorage.open(stores[1] as LevelStore, PARTITIONS))
    live = new Set(['other'])
    silent = undefined
    calls = 0
    warnings = []
    inner = new ReplicatedJournal({
      self: 'me',
      storage: mine,
      roster: () => roster,
      replicationFactor: 2,
      remote: async <R extends ReplicaRequest>(_node: string, _p: number, request: R): Promise<ReplyOf<R>> => {
        calls++
        if (silent !== undefined) await new Promise<void>((resolve) => { silent?.push(resolve) })
        return await other.handle(request)
      }
    })
    quorum = new WriteQuorum({
      self: 'me',
      partitions: PARTITIONS,
      placement: (p) => inner.placement(p),
      partitionOf: (entity) => mine.partitionOf(entity),
      live: () => live,
      log: { warn: (_obj, msg) => { warnings.push(msg) } },
      intervalMs: 3_600_000
    })
    journal = new QuorumGatedJournal(inner, quorum)
    quorum.start()
  })
  afterEach(async () => {
    await quorum.stop()
    for (const release of silent ?? []) release()
    silent = undefined
    await Promise.all(stores.map(async (s) => { await s.close() }))
    await Promise.all(dirs.map(async (d) => { await d.remove() }))
  })

  const record = (seq: number): { seq: number, event: { n: number } } => ({ seq, event: { n: seq } })

  it('should fail a write waiting on a silent replica at once when that replica is seen down, not at its timeout', async () => {
    const log = await journal.open('room/a')
    await log.append([record(1)])
    const failures: Error[] = []
    log.onFailed((err) => { failures.push(err) })
    silent = []
    const waiting = log.append([record(2)]).then(() => null, (e: unknown) => e as Error)
    // the other replica is seen down (its failure detector): the write cannot be acknowledged
    live.delete('other')
    quorum.update()
    const err = await waiting
    expect(err).to.be.instanceOf(ReplicasUnavailableError)
    expect(err?.message).to.equal('writes unavailable: 1 of the 2 replicas a write needs is reachable (room/a, a write: down: other); retry when more storage nodes are up')
    expect(failures).to.deep.equal([err])
    expect(warnings).to.have.length(1)
  })

  it('should refuse to take an entity while too few replicas are up, without asking any', async () => {
    live.delete('other')
    quorum.update()
    const err = await journal.open('room/b').then(() => null, (e: unknown) => e as Error)
    expect(err).to.be.instanceOf(ReplicasUnavailableError)
    expect(err?.message).to.match(/^writes unavailable: 1 of the 2 replicas a write needs is reachable \(room\/b, taking the entity: down: other\)/)
    expect(calls).to.equal(0)
    live.add('other')
    quorum.update()
    const log = await journal.open('room/b')
    await log.append([record(1)])
    expect(log.head).to.equal(0)
    expect(await log.read({ from: 1, limit: 10 })).to.deep.equal([record(1)])
  })

  it('should keep an idle activation, not current while the quorum is lost: it refuses to confirm, and confirms again once the replicas are back', async () => {
    const log = await journal.open('room/c')
    await log.append([record(1)])
    expect(log.current?.()).to.equal(true)
    const failures: Error[] = []
    log.onFailed((err) => { failures.push(err) })
    live.delete('other')
    quorum.update()
    expect(log.current?.()).to.equal(false)
    const refused = await log.confirm?.().then(() => null, (e: unknown) => e as Error)
    expect(refused).to.be.instanceOf(ReplicasUnavailableError)
    expect(refused?.message).to.equal('writes unavailable: 1 of the 2 replicas a write needs is reachable (room/c, a read or a write: down: other); retry when more storage nodes are up')
    expect(failures, 'an idle activation is not failed: nothing of it waited').to.deep.equal([])
    live.add('other')
    quorum.update()
    expect(await log.confirm?.()).to.equal(1)
    await log.append([record(2)])
    expect(await log.read({ from: 1, limit: 10 })).to.deep.equal([record(1), record(2)])
    expect(warnings).to.have.length(2)
  })
})
