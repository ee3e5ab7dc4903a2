import { expect } from 'chai'
import { ROSTER_ENTITY, RosterKeeper, checkRosterVersion, firstVersion, partitionOf } from '../../../../node/index.ts'
import type { ReplicaCore, RosterKeeperOptions, RosterVersion } from '../../../../node/index.ts'
import { useReplicaSet } from '../fixtures/replica-set.ts'

const ids = (v: RosterVersion): string[] => v.members.map((m) => m.peerId)

// The roster journal (docs/replication.md, "Roster versions") on five real replicas (LevelDB in
// temp dirs), its keeper an owner as any entity's, any replica unreachable at will.
describe('RosterKeeper (roster versions)', () => {
  const set = useReplicaSet(['a', 'b', 'c', 'd', 'e'])
  const core = (node: string): ReplicaCore => set.cores.get(node) as ReplicaCore
  const storedVersion = async (node: string): Promise<number> => {
    // (the replica's version of the roster entity's partition: what it refuses older keepers by)
    const held = await core(node).handle({ op: 'summary', entity: ROSTER_ENTITY })
    expect(held.head).to.be.greaterThan(0)
    return await core(node).versions.of(partitionOf(ROSTER_ENTITY, 4))
  }
  const keeper = async (node: string, applied: RosterVersion[], extra: Partial<RosterKeeperOptions> = {}): Promise<{ keeper: RosterKeeper, seen: RosterVersion[], newer: number[] }> => {
    const seen: RosterVersion[] = []
    const newer: number[] = []
    const k = await RosterKeeper.open({ env: set.env, self: node, applied, activation: `keeper-${node}-${Math.random().toString(36).slice(2)}`, onVersion: (v) => { seen.push(v) }, onNewer: (v) => { newer.push(v) }, appendTimeoutMs: 2_000, ...extra })
    return { keeper: k, seen, newer }
  }
  /** A roster formed on a, then b and c joined: versions 1-3. */
  const threeNodes = async (): Promise<{ keeper: RosterKeeper, seen: RosterVersion[] }> => {
    const { keeper: k, seen } = await keeper('a', [], { form: [{ peerId: 'a', capacity: 1 }] })
    expect((await k.propose(1, { kind: 'join', peerId: 'b', capacity: 1 })).ok).to.equal(true)
    expect((await k.propose(2, { kind: 'join', peerId: 'c', capacity: 2 })).ok).to.equal(true)
    return { keeper: k, seen }
  }

  it('should form a roster and order changes as versions, refusing one proposed on an older version or twice', async () => {
    const { keeper: k, seen } = await threeNodes()
    expect(seen.map((v) => [v.version, ids(v)])).to.deep.equal([[1, ['a']], [2, ['a', 'b']], [3, ['a', 'b', 'c']]])
    expect(k.head.members).to.deep.equal([{ peerId: 'a', capacity: 1 }, { peerId: 'b', capacity: 1 }, { peerId: 'c', capacity: 2 }])
    const late = await k.propose(2, { kind: 'join', peerId: 'd', capacity: 1 })
    expect(late).to.deep.include({ ok: false, why: 'proposed on version 2, the roster is at version 3' })
    expect(await k.propose(3, { kind: 'join', peerId: 'c', capacity: 2 })).to.deep.include({ ok: false, why: 'join "c": a member already' })
    expect(await k.propose(3, { kind: 'leave', peerId: 'q' })).to.deep.include({ ok: false, why: 'leave "q": not a member' })
    expect((await k.entries(2)).map((v) => v.version)).to.deep.equal([2, 3])
    // every node of version 3's set stored version 3: a keeper under an older one is refused there
    for (const n of ['a', 'b', 'c']) expect(await storedVersion(n)).to.equal(3)
    k.close()
  })

  it('should have a keeper under an older version refused, told the newer one, read the versions up to it and take the journal under it', async () => {
    const { keeper: k, seen } = await threeNodes()
    k.close()
    // d applied versions 1 and 2 only: the replicas of version 2's set stored version 3 and refuse it
    const { keeper: behind, seen: read, newer } = await keeper('d', seen.slice(0, 2))
    expect(newer).to.include(3)
    expect(read.map((v) => [v.version, ids(v)])).to.deep.equal([[3, ['a', 'b', 'c']]])
    expect(behind.head.version).to.equal(3)
    expect((await behind.propose(3, { kind: 'join', peerId: 'd', capacity: 1 })).ok).to.equal(true)
    expect(read.map((v) => [v.version, ids(v)])).to.deep.equal([[3, ['a', 'b', 'c']], [4, ['a', 'b', 'c', 'd']]])
    behind.close()
    // a keeper whose node applied them all goes on from there, refused nowhere
    const { keeper: next, newer: none } = await keeper('e', read)
    expect(none).to.deep.equal([])
    expect(next.head.version).to.equal(4)
    next.close()
  })

  it('should read on where a keeper appended a version and stopped before taking the journal again', async () => {
    const { keeper: k, seen } = await threeNodes()
    // version 4 reaches a and b (W = 2 of version 3's set), and the take under it cannot gather a
    // majority of a, b, c and d (d and c out of reach): the keeper stops with version 4 written
    set.down.add('c')
    set.down.add('d')
    const stopped = await k.propose(3, { kind: 'join', peerId: 'd', capacity: 1 }).then(() => undefined, (err: Error) => err)
    expect(stopped?.name).to.equal('ReplicasUnavailableError')
    expect(seen.map((v) => v.version)).to.deep.equal([1, 2, 3, 4])
    // it holds no journal now: failed, so that its service opens another (not a keeper that answers
    // every call after it with no journal)
    expect(k.failed?.name).to.equal('ReplicasUnavailableError')
    expect(await k.entries(1).then(() => 'read', (err: Error) => err.name)).to.equal('ReplicasUnavailableError')
    k.close()
    set.down.clear()
    // a keeper on a node that applied up to version 3 reads version 4 and takes it under it
    const { keeper: next, seen: read } = await keeper('e', seen.slice(1, 3))
    expect(read.map((v) => [v.version, ids(v)])).to.deep.equal([[4, ['a', 'b', 'c', 'd']]])
    expect(next.head.version).to.equal(4)
    for (const n of ['a', 'b', 'c', 'd']) expect(await storedVersion(n)).to.equal(4)
    next.close()
  })

  it('should change nothing when too few nodes of the set answer, and go on once they do', async () => {
    const { keeper: k, seen } = await threeNodes()
    set.down.add('b')
    set.down.add('c')
    // (a keeper asks a majority of its set first whether it still holds the journal)
    const failed = await k.propose(3, { kind: 'join', peerId: 'd', capacity: 1 }).then(() => undefined, (err: Error) => err)
    expect(failed?.name).to.equal('ReplicasUnavailableError')
    expect(k.head.version).to.equal(3)
    expect(seen.map((v) => v.version)).to.deep.equal([1, 2, 3])
    expect((await core('a').handle({ op: 'summary', entity: ROSTER_ENTITY })).head).to.equal(3)
    set.down.clear()
    expect((await k.propose(3, { kind: 'join', peerId: 'd', capacity: 1 })).ok).to.equal(true)
    expect(seen.map((v) => v.version)).to.deep.equal([1, 2, 3, 4])
    k.close()
  })

  it('should refuse to answer as a keeper another one superseded: the journal read then is its own, not the latest', async () => {
    const { keeper: first, seen } = await threeNodes()
    const { keeper: second } = await keeper('e', seen.slice(1))
    expect((await second.propose(3, { kind: 'join', peerId: 'd', capacity: 1 })).ok).to.equal(true)
    // the first sat idle: it learns it was superseded before it answers anything
    const stale = await first.entries(1).then(() => undefined, (err: Error) => err)
    expect(stale?.name).to.equal('StaleEpochError')
    expect(first.failed?.name).to.equal('StaleEpochError')
    expect((await first.propose(3, { kind: 'join', peerId: 'e', capacity: 1 }).then(() => 'made', (err: Error) => err.name))).to.equal('StaleEpochError')
    expect((await second.entries(1)).map((v) => v.version)).to.deep.equal([1, 2, 3, 4])
    second.close()
  })

  it('should refuse a malformed roster version, or one that is not what its change makes of the one before', () => {
    const v1 = firstVersion([{ peerId: 'a', capacity: 1 }])
    const v2 = { version: 2, members: [{ peerId: 'a', capacity: 1 }, { peerId: 'b', capacity: 1 }], change: { kind: 'join', peerId: 'b', capacity: 1 } }
    expect(checkRosterVersion(v2, v1).members).to.have.length(2)
    const bad: Array<[unknown, RosterVersion | undefined]> = [
      [null, undefined],
      [{ ...v2, version: 0 }, undefined],
      [{ ...v2, version: 3 }, v1],
      [{ ...v2, members: [{ peerId: 'b', capacity: 1 }, { peerId: 'a', capacity: 1 }] }, v1],
      [{ ...v2, members: [{ peerId: 'a', capacity: 1 }] }, v1],
      [{ ...v2, members: [{ peerId: 'a', capacity: 0 }, { peerId: 'b', capacity: 1 }] }, v1],
      [{ ...v2, change: { kind: 'join', peerId: 'a', capacity: 1 } }, v1],
      [{ ...v2, change: { kind: 'explode', peerId: 'b' } }, v1],
      [{ ...v2, change: { kind: 'join', peerId: 'x'.repeat(200), capacity: 1 } }, v1],
      [{ version: 1, members: [], change: { kind: 'join', peerId: 'a', capacity: 1 } }, undefined]
    ]
    for (const [value, after] of bad) expect(() => checkRosterVersion(value, after), JSON.stringify(value)).to.throw(RangeError, /roster version/)
    expect(() => firstVersion([{ peerId: 'a', capacity: 1, state: 'replaced' }])).to.throw(RangeError)
  })

  it('should make a settle a version with the same members, and refuse one that names a configuration version past it or is malformed', async () => {
    const { keeper: k } = await threeNodes()
    const made = await k.propose(3, { kind: 'settle', settled: [[0, 2], [3, 3]] })
    expect(made.ok).to.equal(true)
    const v4 = (made as { version: RosterVersion }).version
    expect(v4.version).to.equal(4)
    expect(ids(v4)).to.deep.equal(['a', 'b', 'c'])
    expect(checkRosterVersion(JSON.parse(JSON.stringify(v4))).change).to.deep.equal({ kind: 'settle', settled: [[0, 2], [3, 3]] })
    expect((await k.propose(4, { kind: 'settle', settled: [[1, 5]] })).ok).to.equal(false)
    const v3 = { version: 3, members: v4.members, change: { kind: 'join', peerId: 'c', capacity: 2 } } as unknown as RosterVersion
    for (const settled of [[], [[1, 2], [1, 2]], [[2, 1], [1, 1]], [[-1, 1]], [[1, 0]], [[70_000, 1]], [[1.5, 1]], [[1]], 'x', Array.from({ length: 1_025 }, (_, p) => [p, 1])]) {
      expect(() => checkRosterVersion({ ...v4, change: { kind: 'settle', settled } }, v3), JSON.stringify(settled).slice(0, 60)).to.throw(RangeError, /roster version/)
    }
  })
})
