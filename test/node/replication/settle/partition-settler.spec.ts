import { expect } from 'chai'
import { InvalidReplicaRequestError, LevelReplicaStorage, LevelStore, PartitionSettler, ReplicatedJournal, SETTLE_APPLY_WAIT_MS, SettleReplica, checkSettleMsg, pullFrom, replicaPeer } from '../../../../node/index.ts'
import type { EarlierSet, RosterChange, SettleConfigs } from '../../../../node/index.ts'
import type { Candidate } from '../../../../node/mesh/index.ts'
import { tempDir } from '../../../helpers/temp-dir.ts'

const PARTITIONS = 8
const quiet = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined }

/**
 * Settling hand-offs (docs/replication.md, "When a hand-off is settled") on four nodes' replicas
 * (real LevelDB each, in one process: the settle's requests go straight to each node's
 * SettleReplica, its pulls as anti-entropy's take-over). Roster version 1 placed every partition
 * on {a, b} (R = 2); version 2 added c and d, moving the partitions whose set changed, each with
 * {a, b} as its earlier set.
 */
describe('PartitionSettler and SettleReplica (in-process, real LevelDB)', function () {
  this.timeout(60_000)
  const dirs: Array<{ remove: () => Promise<void> }> = []
  const stores: LevelStore[] = []
  afterEach(async () => {
    for (const s of stores.splice(0)) await s.close()
    for (const d of dirs.splice(0)) await d.remove()
  })

  interface World {
    journals: Map<string, ReplicatedJournal>
    replicas: Map<string, SettleReplica>
    members: string[]
    down: Set<string>
    /** Nodes the roster replaced (lost for good). */
    replaced: Set<string>
    /** The roster version each node's configurations are at (2 unless a test holds one back). */
    at: Map<string, number>
    moved: number[]
    proposed: RosterChange[]
    events: string[]
    /** Live members whose records say they have not applied a version (the settler's `behind`). */
    behind: string[]
    /** The settler's clock. */
    clock: number
    settler: PartitionSettler
  }

  async function world (): Promise<World> {
    const names = ['a', 'b', 'c', 'd']
    const w = { journals: new Map(), replicas: new Map(), members: ['a', 'b'], down: new Set<string>(), replaced: new Set<string>(), at: new Map(names.map((n) => [n, 2])), moved: [] as number[], proposed: [] as RosterChange[], events: [] as string[], behind: [] as string[], clock: 0 } as unknown as World
    const roster = (): Candidate[] => w.members.map((peerId) => ({ peerId, roles: ['storage'], capacity: 1 }))
    for (const self of names) {
      const dir = await tempDir()
      dirs.push(dir)
      const store = await LevelStore.open(dir.path)
      stores.push(store)
      w.journals.set(self, new ReplicatedJournal({
        self,
        storage: await LevelReplicaStorage.open(store, PARTITIONS),
        roster,
        replicationFactor: 2,
        remote: async (node, partition, request) => {
          if (w.down.has(node)) throw Object.assign(new Error(`${node} is down`), { kind: 'unavailable' })
          return await (w.journals.get(node) as ReplicatedJournal).core(partition).handle(request)
        }
      }))
    }
    const a = w.journals.get('a') as ReplicatedJournal
    const before = Array.from({ length: PARTITIONS }, (_, p) => [...a.placement(p).replicas])
    return Object.assign(w, { before })
  }

  /** Roster version 2: c and d join; the configurations and settle parts of every node. */
  function version2 (w: World & { before: string[][] }): void {
    w.members = ['a', 'b', 'c', 'd']
    const a = w.journals.get('a') as ReplicatedJournal
    w.moved = Array.from({ length: PARTITIONS }, (_, p) => p).filter((p) => a.placement(p).replicas.join() !== (w.before[p] as string[]).join())
    const configsOf = (node: string): SettleConfigs => ({
      get version () { return w.at.get(node) },
      of: (p) => w.moved.includes(p) ? 2 : 1,
      earlierOf: (p): EarlierSet[] => w.moved.includes(p) ? [{ version: 1, nodes: w.before[p] as string[] }] : []
    })
    for (const [self, journal] of w.journals) {
      w.replicas.set(self, new SettleReplica({
        self,
        journal,
        configs: () => configsOf(self),
        followed: () => 2,
        pull: async (partition, from) => {
          if (w.down.has(from)) throw new Error(`${from} is down`)
          w.events.push(`pull ${self}<-${from} ${partition}`)
          const peer = w.journals.get(from) as ReplicatedJournal
          return await pullFrom(partition, journal.storage, journal.core(partition), replicaPeer(partition, peer.storage, peer.core(partition)), { records: Infinity, bytes: Infinity })
        },
        live: () => new Set([...w.journals.keys()].filter((n) => !w.down.has(n))),
        known: () => new Set(w.journals.keys()),
        replaced: (n) => w.replaced.has(n),
        configuredWriteQuorum: undefined
      }))
    }
    w.settler = new PartitionSettler({
      self: 'a',
      partitions: PARTITIONS,
      keeperNode: () => 'a',
      configs: () => configsOf('a'),
      followed: () => 2,
      placement: (p) => a.placement(p),
      live: () => new Set([...w.journals.keys()].filter((n) => !w.down.has(n))),
      known: () => new Set(w.journals.keys()),
      replaced: (n) => w.replaced.has(n),
      ask: async (node, msg) => {
        if (w.down.has(node)) throw new Error(`${node} is down`)
        if (msg.type === 'raise') w.events.push(`raise ${node} ${msg.partition}`)
        return await (w.replicas.get(node) as SettleReplica).serve(msg)
      },
      propose: async (change) => {
        w.proposed.push(change)
        return { ok: true, version: { version: 3, members: w.members.map((peerId) => ({ peerId, capacity: 1 })), change } }
      },
      configuredWriteQuorum: undefined,
      leaseWaitMs: 1_500,
      behind: () => w.behind,
      now: () => w.clock,
      sleep: async (ms) => { w.events.push(`wait ${ms}`) },
      log: quiet
    })
  }

  /** Posts two records to a room of each partition, on {a, b} (version 1). */
  async function write (w: World): Promise<string[]> {
    const a = w.journals.get('a') as ReplicatedJournal
    const rooms: string[] = []
    for (let i = 0; rooms.length < PARTITIONS; i++) {
      const room = `room/r${i}`
      if (rooms.some((r) => a.storage.partitionOf(r) === a.storage.partitionOf(room))) continue
      rooms.push(room)
      const log = await a.open(room)
      await log.append([{ seq: 1, event: { n: 1 } }, { seq: 2, event: { n: 2 } }])
      log.close()
    }
    return rooms.sort((x, y) => a.storage.partitionOf(x) - a.storage.partitionOf(y))
  }

  it('should store the version on the earlier set, wait out its leases, have every replica of the new set pull the partition whole, then record it settled', async () => {
    const w = await world() as World & { before: string[][] }
    const rooms = await write(w)
    version2(w)
    expect(w.moved.length, 'partitions version 2 moved').to.be.greaterThan(0).and.lessThan(PARTITIONS)
    const recorded = await w.settler.step()
    expect(recorded).to.deep.equal(w.moved.map((p) => [p, 2]))
    expect(w.proposed).to.deep.equal([{ kind: 'settle', settled: w.moved.map((p) => [p, 2]) }])
    // every raise before the lease's wait, every pull after it
    const wait = w.events.indexOf('wait 1500')
    expect(w.events.slice(0, wait).every((e) => e.startsWith('raise ')), w.events.join('; ')).to.equal(true)
    expect(w.events.slice(wait + 1).every((e) => e.startsWith('pull ')) && w.events.length > wait + 1).to.equal(true)
    const a = w.journals.get('a') as ReplicatedJournal
    for (const p of w.moved) {
      for (const node of w.before[p] as string[]) expect(await (w.journals.get(node) as ReplicatedJournal).core(p).versions.of(p), `version on ${node}, partition ${p}`).to.equal(2)
      // every replica of the new set holds the room whole
      for (const node of a.placement(p).replicas) {
        const summary = await (w.journals.get(node) as ReplicatedJournal).core(p).handle({ op: 'summary', entity: rooms[p] as string })
        expect(summary.head, `${rooms[p] as string} on ${node}`).to.equal(2)
      }
    }
    expect(w.settler.stats).to.include({ settled: w.moved.length, versions: 1, notYet: 0 })
  })

  it('should leave a partition whose new replica is down, or behind the keeper\'s configuration, for a later step, saying why', async () => {
    const w = await world() as World & { before: string[][] }
    await write(w)
    version2(w)
    const a = w.journals.get('a') as ReplicatedJournal
    const withC = w.moved.filter((p) => a.placement(p).replicas.includes('c'))
    const withD = w.moved.filter((p) => a.placement(p).replicas.includes('d') && !withC.includes(p))
    w.down.add('c')
    w.at.set('d', 1)
    const recorded = await w.settler.step()
    expect(recorded).to.deep.equal(w.moved.filter((p) => !withC.includes(p) && !withD.includes(p)).map((p) => [p, 2]))
    for (const p of withC) expect(w.settler.waiting().get(p)).to.equal('replica c is down')
    for (const p of withD) expect(w.settler.waiting().get(p)).to.match(/replica d did not catch up: partition \d+: this node is not at its configuration version 2/)
    // once both are back, the next step settles them
    w.down.delete('c')
    w.at.set('d', 2)
    const next = await w.settler.step()
    expect(next.map(([p]) => p).sort((x, y) => x - y)).to.include.members([...withC, ...withD])
  })

  it('should store the version on no earlier set while a live member has not applied it, until it does or SETTLE_APPLY_WAIT_MS passed', async () => {
    const w = await world() as World & { before: string[][] }
    await write(w)
    version2(w)
    // (a member's open journals move to the new sets as it applies the version: a replica that
    // stored it first would refuse them, stopping them)
    w.behind = ['e']
    expect(await w.settler.step()).to.deep.equal([])
    expect(w.events.filter((e) => e.startsWith('raise ')), 'nothing raised').to.deep.equal([])
    for (const p of w.moved) expect(w.settler.waiting().get(p)).to.match(/1 live member has not applied roster version 2 yet \(e\)/)
    w.clock += SETTLE_APPLY_WAIT_MS - 1
    expect(await w.settler.step(), 'still within the wait').to.deep.equal([])
    // it applied the version: settled at the next step
    w.behind = []
    expect(await w.settler.step()).to.deep.equal(w.moved.map((p) => [p, 2]))
    // one that never applies it is waited for SETTLE_APPLY_WAIT_MS, then settled without it
    const v = await world() as World & { before: string[][] }
    await write(v)
    version2(v)
    v.behind = ['e', 'f']
    expect(await v.settler.step()).to.deep.equal([])
    v.clock += SETTLE_APPLY_WAIT_MS
    expect(await v.settler.step()).to.deep.equal(v.moved.map((p) => [p, 2]))
  })

  it('should not settle while too few of an earlier set store the version (two of {a, b} down), and refuse a malformed request', async () => {
    const w = await world() as World & { before: string[][] }
    version2(w)
    w.down.add('b')
    w.down.add('a')
    // (the keeper's node asks itself too: a down here is only a test's way to refuse its raise)
    expect(await w.settler.step()).to.deep.equal([])
    expect([...w.settler.waiting().values()].every((why) => /version 2 stored on 0 of the 2 nodes of the set of version 1/.test(why))).to.equal(true)
    expect(w.events.some((e) => e.startsWith('wait') || e.startsWith('pull'))).to.equal(false)
    for (const bad of [null, 'x', { type: 'raise' }, { type: 'raise', partition: 8, version: 1 }, { type: 'pull', partition: 0, version: 0 }, { type: 'pull', partition: -1, version: 2 }, { type: 'drop', partition: 0, version: 2 }, { type: 'raise', partition: 1.5, version: 2 }]) {
      expect(() => checkSettleMsg(bad, PARTITIONS), JSON.stringify(bad)).to.throw(InvalidReplicaRequestError, /settle: expected/)
    }
    expect(checkSettleMsg({ type: 'pull', partition: 7, version: 3 }, PARTITIONS)).to.include({ type: 'pull', partition: 7, version: 3 })
    // a version past the roster version the node applied is stored nowhere
    const err = await (w.replicas.get('c') as SettleReplica).raise(0, 3).then(() => undefined, (e: unknown) => e as Error)
    expect(err?.name).to.equal('SettleNotReadyError')
    expect(await (w.journals.get('c') as ReplicatedJournal).core(0).versions.of(0)).to.equal(0)
  })

  it('should count a replaced node of an earlier set as lost for good: raised, read by no one, and what it held with a node down still waited for', async () => {
    const w = await world() as World & { before: string[][] }
    await write(w)
    version2(w)
    // {a, b} at W = 2: b replaced and down, a down too: a record on {a, b} is on a alone now
    w.down.add('b')
    w.replaced.add('b')
    w.down.add('a')
    const c = w.replicas.get('c') as SettleReplica
    const p = w.moved[0] as number
    const err = await c.pull(p, 2).then(() => undefined, (e: unknown) => e as Error)
    expect(err?.name, 'a node down with one lost: not pulled clean').to.equal('SettleNotReadyError')
    // a back: b's loss leaves nothing only b held (every record of {a, b} is on a too)
    w.down.delete('a')
    expect(await c.pull(p, 2)).to.equal(true)
    // (a new set that still names b waits for it: the roster places by its replacement first)
    const a = w.journals.get('a') as ReplicatedJournal
    const recorded = await w.settler.step()
    expect(recorded).to.deep.equal(w.moved.filter((q) => !a.placement(q).replicas.includes('b')).map((q) => [q, 2]))
    expect(recorded.length).to.be.greaterThan(0)
    expect(w.events.filter((e) => e.startsWith('raise b ') || e.includes('<-b ')), 'b is asked nothing').to.deep.equal([])
  })
})
