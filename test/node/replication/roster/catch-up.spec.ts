import { expect } from 'chai'
import { CatchUp, LevelReplicaStorage, LevelStore, ReplicasUnavailableError, ReplicatedJournal, pullFrom, replicaPeer } from '../../../../node/index.ts'
import type { CatchUpRoster } from '../../../../node/index.ts'
import type { Candidate } from '../../../../node/mesh/index.ts'
import { ServiceFailures } from '../../../../node/services/index.ts'
import { tempDir } from '../../../helpers/temp-dir.ts'
import { waitFor } from '../../../helpers/wait-for.ts'

const quiet = { info: () => undefined, warn: () => undefined }
const REPLACE_AFTER = 60_000

describe('CatchUp: new replicas and replaced storage nodes (in-process, real LevelDB)', function () {
  this.timeout(60_000)
  const dirs: Array<{ remove: () => Promise<void> }> = []
  const stores: LevelStore[] = []
  afterEach(async () => {
    for (const s of stores.splice(0)) await s.close()
    for (const d of dirs.splice(0)) await d.remove()
  })

  interface World {
    journals: Map<string, ReplicatedJournal>
    stores: Map<string, LevelStore>
    /** The roster every node shares here: known nodes, and the replaced ones. */
    known: string[]
    replaced: Set<string>
    down: Set<string>
    /** Partitions whose hand-off is not settled (each has an earlier set in the roster's configs). */
    unsettled: Set<number>
    clock: { now: number }
    catchUpOf: (self: string) => Promise<CatchUp>
  }

  /** Nodes a-d with R = 3; d is not known yet (it joins later). */
  async function world (): Promise<World> {
    const names = ['a', 'b', 'c', 'd']
    const w: World = { journals: new Map(), stores: new Map(), known: ['a', 'b', 'c'], replaced: new Set(), down: new Set(), unsettled: new Set(), clock: { now: 1_000_000 }, catchUpOf: async () => await Promise.reject(new Error('unset')) }
    const candidates = (): Candidate[] => w.known.filter((n) => !w.replaced.has(n)).map((peerId) => ({ peerId, roles: ['storage'], capacity: 1 }))
    for (const self of names) {
      const dir = await tempDir()
      dirs.push(dir)
      const store = await LevelStore.open(dir.path)
      stores.push(store)
      w.stores.set(self, store)
      w.journals.set(self, new ReplicatedJournal({
        self,
        storage: await LevelReplicaStorage.open(store, 8),
        roster: candidates,
        known: () => w.known.map((peerId) => ({ peerId, roles: ['storage'], capacity: 1 })),
        live: () => new Set(names.filter((n) => !w.down.has(n))),
        holdsNothing: (n) => w.replaced.has(n),
        remote: async (node, partition, request) => {
          if (w.down.has(node)) throw Object.assign(new Error(`${node} is down`), { kind: 'unavailable' })
          return await (w.journals.get(node) as ReplicatedJournal).core(partition).handle(request)
        }
      }))
    }
    const roster: CatchUpRoster = {
      known: () => w.known.map((peerId) => ({ peerId })),
      candidates: () => candidates(),
      isLeaving: () => false,
      isReplaced: (n) => w.replaced.has(n),
      configs: { earlierOf: (p) => w.unsettled.has(p) ? [{ version: 1, nodes: ['a'] }] : [] },
      replace: (n) => {
        if (w.replaced.has(n)) return false
        w.replaced.add(n)
        return true
      }
    }
    w.catchUpOf = async (self) => await CatchUp.open({
      self,
      journal: w.journals.get(self) as ReplicatedJournal,
      store: w.stores.get(self) as LevelStore,
      roster,
      cluster: true,
      members: () => w.known.filter((n) => n !== self).map((peerId) => ({ peerId, status: w.down.has(peerId) ? 'down' : 'up', lastSeen: w.clock.now })),
      // this node pulls from `from`, as AntiEntropy.takeOver does
      pull: async (partition, from) => {
        if (w.down.has(from)) throw new Error(`${from} is down`)
        const to = w.journals.get(self) as ReplicatedJournal
        const peer = w.journals.get(from) as ReplicatedJournal
        return await pullFrom(partition, to.storage, to.core(partition), replicaPeer(partition, peer.storage, peer.core(partition)), { records: Infinity, bytes: Infinity })
      },
      replaceAfterMs: REPLACE_AFTER,
      replicationFactor: 3,
      onRosterChanged: () => { for (const j of w.journals.values()) j.rosterChanged() },
      now: () => w.clock.now,
      log: quiet
    })
    return w
  }

  const replay = async (journal: ReplicatedJournal, room: string): Promise<unknown[]> => {
    const log = await journal.open(room)
    const seen: unknown[] = []
    for await (const r of log.replay(1)) seen.push(r.event)
    log.close()
    return seen
  }

  it('should replace a node down past replica-replace-after, and count its new replica only once it pulled everything from the others', async () => {
    const w = await world()
    const [a, b, c] = await Promise.all(['a', 'b', 'c'].map(async (n) => await w.catchUpOf(n))) as [CatchUp, CatchUp, CatchUp]
    // a new cluster: nothing to pull, every partition caught up at the first check
    await Promise.all([a.runOnce(), b.runOnce(), c.runOnce()])
    expect(a.status.caughtUp).to.equal(a.status.partitions)
    const ja = w.journals.get('a') as ReplicatedJournal
    const rooms = Array.from({ length: 24 }, (_, i) => `room/r${i}`)
    // the second post of every room acknowledged with b down: on a and c only
    for (const room of rooms) {
      const log = await ja.open(room)
      await log.append([{ seq: 1, event: { n: 1 } }])
      w.down.add('b')
      await log.append([{ seq: 2, event: { n: 2 } }])
      w.down.delete('b')
      await waitFor(async () => (await ja.core(ja.storage.partitionOf(room)).handle({ op: 'read', entity: room, from: 1, limit: 5 })).length === 2, `a to hold its copy of ${room}`)
      log.close()
    }
    // c is lost; d joins
    w.down.add('c')
    w.known.push('d')
    const d = await w.catchUpOf('d')
    expect(d.status.caughtUp, 'a new node holds nothing whole').to.equal(0)
    // not before replica-replace-after
    await a.runOnce()
    expect(w.replaced.has('c')).to.equal(false)
    w.clock.now += REPLACE_AFTER + 1
    await a.runOnce()
    expect(w.replaced.has('c')).to.equal(true)
    expect(a.status.replaced).to.deep.equal(['c'])
    // b places by the same roster (as a node that applied a roster version naming c replaced before
    // its own timer fired): it says so too
    expect(b.status.replaced).to.deep.equal(['c'])
    // d is a replica of every partition now, a learner until it caught up: with a unreachable, b
    // and d could form a fence quorum, but d's promise does not stand in for a's
    const jb = w.journals.get('b') as ReplicatedJournal
    expect([...jb.placement(0).replicas].sort()).to.deep.equal(['a', 'b', 'd'])
    w.down.add('a')
    const refused = await jb.open(rooms[0] as string).then(() => undefined, (e: unknown) => e)
    expect(refused).to.be.instanceOf(ReplicasUnavailableError)
    // while a is down, d waits for it (a may hold records no one else has)
    await d.runOnce()
    expect(d.status.caughtUp).to.equal(0)
    expect(d.status.waiting[0]).to.match(/waiting for a/)
    w.down.delete('a')
    await d.runOnce()
    expect(d.status.caughtUp).to.equal(d.status.partitions)
    expect(d.status.waiting).to.deep.equal([])
    // a lost too: b and d hold every acknowledged post, the ones only a and c had included
    w.down.add('a')
    for (const room of rooms) expect(await replay(jb, room), room).to.deep.equal([{ n: 1 }, { n: 2 }])
  })

  it('should forget what it held whole when it did not see a majority of the storage nodes for half of replica-replace-after, and after such an absence across a restart', async () => {
    const w = await world()
    const a = await w.catchUpOf('a')
    await a.runOnce()
    expect(a.status.caughtUp).to.equal(a.status.partitions)
    const ja = w.journals.get('a') as ReplicatedJournal
    expect(ja.core(0).learner).to.equal(false)
    // cut off from b and c: not yet
    w.down.add('b')
    w.down.add('c')
    w.clock.now += REPLACE_AFTER / 4
    await a.runOnce()
    expect(a.status.caughtUp).to.equal(a.status.partitions)
    w.clock.now += REPLACE_AFTER / 2
    await a.runOnce()
    expect(a.status.caughtUp).to.equal(0)
    expect(ja.core(0).learner).to.equal(true)
    // they are back: it catches up again
    w.down.clear()
    await a.runOnce()
    expect(a.status.caughtUp).to.equal(a.status.partitions)
    // a restart after a long stop: the time it last saw a majority is in its data dir
    await a.stop()
    w.clock.now += REPLACE_AFTER
    const again = await w.catchUpOf('a')
    expect(again.status.caughtUp).to.equal(0)
    expect(ja.core(0).learner).to.equal(true)
  })

  it('should keep a node alone caught up on everything, and a data dir of the previous version on the partitions it is a replica of', async () => {
    const w = await world()
    const ja = w.journals.get('a') as ReplicatedJournal
    // no cluster: never a learner
    const alone = await CatchUp.open({ self: 'a', journal: ja, store: w.stores.get('a') as LevelStore, roster: { known: () => [{ peerId: 'a' }], candidates: () => [{ peerId: 'a' }], isLeaving: () => false, isReplaced: () => false, replace: () => false }, cluster: false, members: () => [], pull: async () => await Promise.reject(new Error('no one to pull from')), replaceAfterMs: REPLACE_AFTER, replicationFactor: 3, onRosterChanged: () => undefined, log: quiet })
    expect(ja.core(3).learner).to.equal(false)
    expect(alone.caughtUp(3)).to.equal(true)
    // b holds records from before this version (nothing said of what it holds whole)
    const jb = w.journals.get('b') as ReplicatedJournal
    const core = jb.core(jb.storage.partitionOf('room/old'))
    await core.handle({ op: 'fence', entity: 'room/old', epoch: 5, activation: 'x' })
    await core.handle({ op: 'append', entity: 'room/old', epoch: 5, activation: 'x', prevSeq: 0, prevEpoch: 0, records: [{ seq: 1, epoch: 5, event: { n: 1 } }] })
    const b = await w.catchUpOf('b')
    expect(b.status.caughtUp).to.equal(b.status.partitions)
  })

  it('should count a partition held whole as caught up only once its hand-off settled, and say how many wait for it', async () => {
    const w = await world()
    const a = await w.catchUpOf('a')
    await a.runOnce()
    const mine = Array.from({ length: 8 }, (_, p) => p).filter((p) => (w.journals.get('a') as ReplicatedJournal).placement(p).replicas.includes('a'))
    expect(a.status).to.include({ partitions: mine.length, caughtUp: mine.length })
    w.unsettled.add(mine[0] as number).add(mine[1] as number)
    expect(a.status).to.include({ caughtUp: mine.length - 2 })
    expect(a.status.waiting).to.deep.equal(['2 partitions held whole, their hand-off not settled yet'])
    // (held whole all the same: owners count it a full replica)
    expect(a.caughtUp(mine[0] as number)).to.equal(true)
    w.unsettled.clear()
    expect(a.status).to.include({ caughtUp: mine.length })
    expect(a.status.waiting).to.deep.equal([])
    await a.stop()
  })

  it('should check at once when started, and count a check that fails as the catch-up service\'s', async () => {
    const w = await world()
    const failures = new ServiceFailures()
    const roster: CatchUpRoster = { known: () => [{ peerId: 'a' }], candidates: () => [{ peerId: 'a' }], isLeaving: () => false, isReplaced: () => false, replace: () => false }
    const catchUpOf = async (members: () => Array<{ peerId: string, status: string, lastSeen: number }>): Promise<CatchUp> => await CatchUp.open({
      self: 'a', journal: w.journals.get('a') as ReplicatedJournal, store: w.stores.get('a') as LevelStore, roster, cluster: true, members,
      pull: async () => await Promise.reject(new Error('no one to pull from')),
      // the next check an hour on: only the one at start can be seen here
      replaceAfterMs: 0, replicationFactor: 1, onRosterChanged: () => undefined, intervalMs: 3_600_000, failures, log: quiet
    })
    const catchUp = await catchUpOf(() => [])
    catchUp.start()
    // the only storage node: nothing to pull, caught up on every partition at its first check
    await waitFor(() => catchUp.status.caughtUp === catchUp.status.partitions && catchUp.status.partitions > 0, 'the first check')
    await catchUp.stop()
    const broken = await catchUpOf(() => { throw new Error('no view of the members') })
    broken.start()
    await waitFor(() => failures.of('catch-up') === 1, 'the failed check counted')
    await broken.stop()
  })
})
