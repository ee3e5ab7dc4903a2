import { expect } from 'chai'
import { LevelReplicaStorage, LevelStore, ReplicatedJournal, StorageRoster, replicasOf } from '../../../../node/index.ts'
import type { EntityJournal } from '../../../../actors/index.ts'
import { REPLAN_ATTEMPTS } from '../../../../node/replication/constants.ts'
import { RosterChangedError } from '../../../../node/replication/lease-errors.ts'
import { withReplans } from '../../../../node/replication/journal/take-view.ts'
import { tempDir } from '../../../helpers/temp-dir.ts'

const events = (from: number, to: number): Array<{ seq: number, event: { n: number } }> =>
  Array.from({ length: to - from + 1 }, (_, i) => ({ seq: from + i, event: { n: from + i } }))

const member = (peerId: string): { peerId: string, roles: string[], capacity: number } => ({ peerId, roles: ['storage'], capacity: 1 })

/** A take that spans a roster change (docs/replication.md, "Roster changes": a take re-plans). */
describe('a take whose view changed while it waited', () => {
  const names = ['a', 'b', 'c', 'd', 'e']
  const first = ['a', 'b', 'c', 'e']
  let dirs: Array<{ path: string, remove: () => Promise<void> }> = []
  let stores: LevelStore[] = []
  afterEach(async () => {
    for (const s of stores) await s.close()
    for (const d of dirs) await d.remove()
    stores = []
    dirs = []
  })

  /** Five nodes whose rosters know four (d joins with `grow`); `hold(node)`: that node's requests
   * to others wait until `release()` (a slow round: what a lease waited out does to a take). */
  const cluster = async (): Promise<{ journals: Map<string, ReplicatedJournal>, storages: LevelReplicaStorage[], cut: Set<string>, grow: () => void, hold: (node: string, count: number) => Promise<void>, release: () => void }> => {
    dirs = await Promise.all(names.map(() => tempDir()))
    stores = await Promise.all(dirs.map((d) => LevelStore.open(d.path)))
    const storages = await Promise.all(stores.map((s) => LevelReplicaStorage.open(s)))
    const partitions = (storages[0] as LevelReplicaStorage).partitions
    const rosters = new Map<string, StorageRoster>()
    for (const [i, self] of names.entries()) {
      const roster = await StorageRoster.open(stores[i] as LevelStore, member(self), undefined, { partitions, replicationFactor: 3 })
      roster.update(first.map(member))
      rosters.set(self, roster)
    }
    /** "from>to": a node that cannot reach another (a partition one way). */
    const cut = new Set<string>()
    let held: { node: string, count: number, reached: () => void, gate: Promise<void>, open: () => void } | undefined
    const journals = new Map<string, ReplicatedJournal>()
    for (const [i, self] of names.entries()) {
      const roster = rosters.get(self) as StorageRoster
      journals.set(self, new ReplicatedJournal({
        self,
        storage: storages[i] as LevelReplicaStorage,
        roster: () => roster.placement(3),
        known: () => roster.known(),
        appendTimeoutMs: 1_000,
        remote: async (node, partition, request) => {
          if (held?.node === self) {
            const h = held
            if (--h.count === 0) h.reached()
            await h.gate
          }
          if (cut.has(`${self}>${node}`)) throw Object.assign(new Error(`${node} cannot be reached`), { kind: 'unavailable' })
          return await (journals.get(node) as ReplicatedJournal).core(partition).handle(request)
        }
      }))
    }
    const grow = (): void => {
      for (const n of names) {
        (rosters.get(n) as StorageRoster).update(names.map(member))
        ;(journals.get(n) as ReplicatedJournal).rosterChanged()
      }
    }
    const hold = (node: string, count: number): Promise<void> => new Promise((resolve) => {
      let open = (): void => {}
      const gate = new Promise<void>((resolve) => { open = resolve })
      held = { node, count, reached: resolve, gate, open }
    })
    const release = (): void => {
      const h = held
      held = undefined
      h?.open()
    }
    return { journals, storages, cut, grow, hold, release }
  }

  it('should take it again under the new view, and recover what an owner of that view acknowledged on the node that joined', async () => {
    const { journals, storages, cut, grow, hold, release } = await cluster()
    // an entity whose set keeps two of its three nodes when d joins: x, y, z -> x, y, d
    const setOf = (e: string, nodes: readonly string[]): string[] => replicasOf((storages[0] as LevelReplicaStorage).partitionOf(e), nodes.map(member), 3)
    let entity = ''
    for (let i = 0; entity === ''; i++) {
      const e = `room/replan${i}`
      const four = setOf(e, first)
      const five = setOf(e, names)
      if (five.includes('d') && five.filter((n) => four.includes(n)).length === 2) entity = e
    }
    const four = setOf(entity, first)
    const five = setOf(entity, names)
    const [x, y] = five.filter((n) => four.includes(n)) as [string, string]
    const q = first.find((n) => !four.includes(n)) as string
    // q's owner plans under the four-node view (replicas x, y, z; q fenced too) and its fence round
    // is slow: its three requests to the replicas are on their way while d joins
    const reached = hold(q, 3)
    const stale = (journals.get(q) as ReplicatedJournal).open(entity)
    await reached
    grow()
    // d's owner, under the new view, fences every node but y (cut off from it one way), and has
    // seqs 1-3 acknowledged on x and d (W = 2)
    cut.add(`d>${y}`)
    const newer = await (journals.get('d') as ReplicatedJournal).open(entity)
    await newer.append(events(1, 3))
    // q's owner cannot reach x: its round's requests land now, refused by the newer promise, and it
    // fences again above it. On its old plan (x, y, z and q) y, z and q promise: three of four, fewer
    // than W left out, and none of them holds seqs 1-3 (it would recover head 0, then write seq 1)
    cut.add(`${q}>${x}`)
    release()
    let taken: EntityJournal | undefined
    try {
      taken = await stale
      expect(taken.head, 'the take recovered what d\'s owner acknowledged').to.equal(3)
      const all: unknown[] = []
      for await (const r of taken.replay(1)) all.push(r)
      expect(all).to.deep.equal(events(1, 3))
    } finally {
      taken?.close()
      newer.close()
    }
  })
})

describe('withReplans', () => {
  it('should take again while the roster changes, REPLAN_ATTEMPTS times at most, then fail saying so', async () => {
    let tries = 0
    const err = await withReplans('room/busy', async () => { tries++; throw new RosterChangedError('room/busy') }, undefined).then(() => undefined, (e: unknown) => e)
    expect(tries).to.equal(REPLAN_ATTEMPTS)
    expect(err).to.be.instanceOf(RosterChangedError)
    expect((err as RosterChangedError).times).to.equal(REPLAN_ATTEMPTS)
    expect((err as RosterChangedError).message).to.contain(`each of the ${REPLAN_ATTEMPTS} times`)
    // settled on a later try; any other failure goes up at once
    tries = 0
    expect(await withReplans('room/busy', async () => { if (++tries < 2) throw new RosterChangedError('room/busy'); return 'taken' }, undefined)).to.equal('taken')
    tries = 0
    const other = await withReplans('room/busy', async () => { tries++; throw new Error('disk full') }, undefined).then(() => undefined, (e: unknown) => e)
    expect((other as Error).message).to.equal('disk full')
    expect(tries).to.equal(1)
  })
})
