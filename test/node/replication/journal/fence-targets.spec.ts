import { expect } from 'chai'
import { LevelReplicaStorage, LevelStore, ReplicatedJournal, StorageRoster, replicasOf } from '../../../../node/index.ts'
import { fenceTargets } from '../../../../node/replication/journal/fence-targets.ts'
import { tempDir } from '../../../helpers/temp-dir.ts'

const events = (from: number, to: number): Array<{ seq: number, event: { n: number } }> =>
  Array.from({ length: to - from + 1 }, (_, i) => ({ seq: from + i, event: { n: from + i } }))

describe('fenceTargets', () => {
  const base = { self: 'a', replicas: ['a', 'b', 'c'], known: ['a', 'b', 'c', 'd', 'e', 'f'], live: new Set(['a', 'b', 'c', 'd', 'e']), holdsNothing: undefined }

  it('should name the recorded former holders and the node ranked next, with every storage node to widen to', () => {
    const t = fenceTargets({ ...base, recorded: ['e'], next: 'd' })
    expect(t.formerHolders).to.deep.equal(['d', 'e'])
    expect(t.absentHolders).to.equal(0)
    // f is down: not asked, counted as a possible holder that did not answer when widening
    expect(t.widen).to.deep.equal({ formerHolders: ['d', 'e'], absentHolders: 1 })
  })

  it('should fall back to every live storage node when the partition\'s former holders are not known', () => {
    const t = fenceTargets({ ...base, recorded: undefined, next: undefined })
    expect(t).to.deep.equal({ formerHolders: ['d', 'e'], absentHolders: 1 })
  })

  it('should count a recorded former holder that is down as absent unless its records are known to be elsewhere', () => {
    expect(fenceTargets({ ...base, recorded: ['f'], next: 'd' })).to.include({ absentHolders: 1 })
    expect(fenceTargets({ ...base, holdsNothing: (n: string) => n === 'f', recorded: ['f'], next: 'd' })).to.include({ absentHolders: 0 })
    // a former holder forgotten (no longer known) is not asked
    expect(fenceTargets({ ...base, recorded: ['gone'], next: 'd' }).formerHolders).to.deep.equal(['d'])
  })
})

describe('an activation\'s fences on five storage nodes', () => {
  const names = ['a', 'b', 'c', 'd', 'e']
  let dirs: Array<{ path: string, remove: () => Promise<void> }> = []
  let stores: LevelStore[] = []
  afterEach(async () => {
    for (const s of stores) await s.close()
    for (const d of dirs) await d.remove()
    stores = []
    dirs = []
  })

  /** Five nodes, each with its store, replicas and roster (which records former holders as the
   * roster grows from `first` to all five). `known: false`: rosters that know no former holders. */
  const cluster = async (first: readonly string[], opts: { known?: boolean } = {}): Promise<{ journals: Map<string, ReplicatedJournal>, rosters: Map<string, StorageRoster>, storages: LevelReplicaStorage[], down: Set<string>, cut: Set<string>, fences: () => Map<string, number>, grow: () => void }> => {
    dirs = await Promise.all(names.map(() => tempDir()))
    stores = await Promise.all(dirs.map((d) => LevelStore.open(d.path)))
    const storages = await Promise.all(stores.map((s) => LevelReplicaStorage.open(s)))
    const partitions = (storages[0] as LevelReplicaStorage).partitions
    const member = (peerId: string): { peerId: string, roles: string[], capacity: number } => ({ peerId, roles: ['storage'], capacity: 1 })
    const rosters = new Map<string, StorageRoster>()
    for (const [i, self] of names.entries()) {
      const roster = await StorageRoster.open(stores[i] as LevelStore, member(self), undefined, { partitions, replicationFactor: 3 })
      roster.update(first.map(member))
      rosters.set(self, roster)
    }
    const down = new Set<string>()
    /** "from>to": a node that cannot reach another (a partition one way). */
    const cut = new Set<string>()
    const journals = new Map<string, ReplicatedJournal>()
    for (const [i, self] of names.entries()) {
      const roster = rosters.get(self) as StorageRoster
      journals.set(self, new ReplicatedJournal({
        self,
        storage: storages[i] as LevelReplicaStorage,
        roster: () => roster.placement(3),
        known: () => roster.known(),
        live: () => new Set(names.filter((n) => !down.has(n))),
        ...(opts.known !== false && { formerHolders: (p: number) => roster.formerHolders(p), settled: (p: number, released: readonly string[]) => { roster.settled(p, released) } }),
        remote: async (node, partition, request) => {
          if (down.has(node) || cut.has(`${self}>${node}`)) throw Object.assign(new Error(`${node} is down`), { kind: 'unavailable' })
          return await (journals.get(node) as ReplicatedJournal).core(partition).handle(request)
        }
      }))
    }
    const fences = (): Map<string, number> => new Map(names.map((n) => [n, (journals.get(n) as ReplicatedJournal).replicaStats().fences]))
    const grow = (): void => {
      for (const n of names) {
        (rosters.get(n) as StorageRoster).update(names.map(member))
        ;(journals.get(n) as ReplicatedJournal).rosterChanged()
      }
    }
    return { journals, rosters, storages, down, cut, fences, grow }
  }
  const fencedSince = (before: Map<string, number>, now: Map<string, number>): string[] => [...now].filter(([n, count]) => count > (before.get(n) ?? 0)).map(([n]) => n)
  const ranking = (entity: string, storages: LevelReplicaStorage[]): string[] =>
    replicasOf((storages[0] as LevelReplicaStorage).partitionOf(entity), names.map((peerId) => ({ peerId, roles: ['storage'], capacity: 1 })), names.length)

  it('should fence only the partition\'s replicas and the node ranked next once the rosters settled', async () => {
    const { journals, storages, fences } = await cluster(names)
    const entity = 'room/counted'
    const rank = ranking(entity, storages)
    const owner = journals.get(rank[4] as string) as ReplicatedJournal
    // the rosters grew from each node alone to five: the first activation of a partition may fence
    // its recorded former holders too (each node itself, displaced), and finds every replica whole
    const before = fences()
    const log = await owner.open(entity)
    await log.append(events(1, 3))
    const fenced = fencedSince(before, fences())
    expect(fenced.length, `fenced ${fenced.join(',')}`).to.be.at.most(names.length)
    expect(fenced).to.include.members(rank.slice(0, 4))
    log.close()
    // once found whole, a partition's former holders are let go of: four fences, not five
    const again = fences()
    const reopened = await owner.open(entity)
    expect(reopened.head).to.equal(3)
    expect(fencedSince(again, fences()).sort()).to.deep.equal(rank.slice(0, 4).sort())
    reopened.close()
  })

  it('should fence every live storage node when the partition\'s former holders are not known', async () => {
    const { journals, storages, fences } = await cluster(names, { known: false })
    const entity = 'room/fallback'
    const owner = journals.get(ranking(entity, storages)[0] as string) as ReplicatedJournal
    for (let i = 0; i < 2; i++) {
      const before = fences()
      const log = await owner.open(entity)
      expect(fencedSince(before, fences()).sort()).to.deep.equal(names)
      log.close()
    }
  })

  it('should recover what only the recorded former holders keep, and fence every live storage node while a replica is still catching up', async () => {
    const { journals, storages, down, fences, grow } = await cluster(['a', 'b', 'c'])
    // an entity whose replicas at five nodes keep one of the three it had at three
    let entity = ''
    for (let i = 0; entity === ''; i++) {
      const e = `room/f${i}`
      const p = (storages[0] as LevelReplicaStorage).partitionOf(e)
      const three = replicasOf(p, ['a', 'b', 'c'].map((peerId) => ({ peerId, roles: ['storage'], capacity: 1 })), 3)
      const five = ranking(e, storages).slice(0, 3)
      if (five.filter((n) => three.includes(n)).length === 1) entity = e
    }
    const p = (storages[0] as LevelReplicaStorage).partitionOf(entity)
    const [n1, n2, n3] = ranking(entity, storages)
    const old = await (journals.get('a') as ReplicatedJournal).open(entity)
    await old.append(events(1, 20))
    old.close()
    grow()
    const kept = [n1, n2, n3].find((n) => ['a', 'b', 'c'].includes(n as string)) as string
    const fresh = [n1, n2, n3].filter((n) => n !== kept) as string[]
    // the one old replica that stays one is down: the new replicas hold nothing, the former holders
    // (recorded as the rosters grew) hold the journal, and are read
    down.add(kept)
    const before = fences()
    const log = await (journals.get(fresh[0] as string) as ReplicatedJournal).open(entity)
    expect(log.head).to.equal(20)
    const all: unknown[] = []
    for await (const r of log.replay(1)) all.push(r)
    expect(all).to.deep.equal(events(1, 20))
    expect(fencedSince(before, fences()), 'not every node: the kept replica is down').to.not.include(kept)
    log.close()
    // a new replica still catching up (a learner): every live storage node is fenced
    down.delete(kept)
    ;(journals.get(fresh[1] as string) as ReplicatedJournal).core(p).setLearner(true)
    const widened = fences()
    const again = await (journals.get(fresh[1] as string) as ReplicatedJournal).open(entity)
    expect(again.head).to.equal(20)
    expect(fencedSince(widened, fences()).sort()).to.deep.equal(names)
    again.close()
  })
  it('should let two owners whose views differ by one capacity change both acknowledge a seq with narrow fences, and stop the older one with every node fenced (why NARROW_FENCES is off)', async () => {
    for (const known of [true, false]) {
      const { journals, rosters, storages, cut } = await cluster(names, { known })
      // an entity whose set, once its lowest-ranked node (x) weighs 8, is x and the first two:
      // the node that enters is not the one ranked next (the narrow rule's guess at the next view)
      const weighted = (e: string, x: string): string[] => replicasOf((storages[0] as LevelReplicaStorage).partitionOf(e), names.map((peerId) => ({ peerId, roles: ['storage'], capacity: peerId === x ? 8 : 1 })), 3)
      let entity = ''
      for (let i = 0; entity === ''; i++) {
        const e = `room/cap${i}`
        const rank = ranking(e, storages)
        const raised = weighted(e, rank[4] as string)
        if (raised.includes(rank[4] as string) && !raised.includes(rank[2] as string)) entity = e
      }
      const [r1, r2, r3, r4, x] = ranking(entity, storages) as [string, string, string, string, string]
      // the owner on r4 has heard that x's capacity rose (its set: x, r1, r2), the one on r3 not (r1, r2, r3)
      ;(rosters.get(r4) as StorageRoster).update([{ peerId: x, roles: ['storage'], capacity: 8 }])
      ;(journals.get(r4) as ReplicatedJournal).rosterChanged()
      const a = await (journals.get(r4) as ReplicatedJournal).open(entity)
      const p = (storages[0] as LevelReplicaStorage).partitionOf(entity)
      expect([...(journals.get(r4) as ReplicatedJournal).placement(p).replicas].sort()).to.deep.equal([r1, r2, x].sort())
      expect([...(journals.get(r3) as ReplicatedJournal).placement(p).replicas].sort()).to.deep.equal([r1, r2, r3].sort())
      await a.append(events(1, 2))
      // r3's owner cannot reach r1, r4's owner cannot reach r2 (partitions one way)
      cut.add(`${r3}>${r1}`)
      cut.add(`${r4}>${r2}`)
      const b = await (journals.get(r3) as ReplicatedJournal).open(entity)
      expect(b.head).to.equal(2)
      await b.append([{ seq: 3, event: { n: 3 } }])
      const late = a.append([{ seq: 3, event: { n: -3 } }]).then(() => 'acknowledged', () => 'refused')
      // narrow: r3's owner fenced r1, r2, r3 and r4, never x, and r4's owner gets W = 2 from x and r1
      expect(await late, known ? 'narrow fences' : 'every node fenced').to.equal(known ? 'acknowledged' : 'refused')
      a.close()
      b.close()
      for (const st of stores) await st.close()
      for (const d of dirs) await d.remove()
      stores = []
      dirs = []
    }
  })
})
