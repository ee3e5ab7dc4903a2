import { expect } from 'chai'
import { LevelStore, RosterFollower, RosterHistory, RosterReplica, RosterService, applyChange, firstVersion, formingMembers, nextChange } from '../../../../node/index.ts'
import type { FollowedRoster, RosterChange, RosterVersion, VersionedMember } from '../../../../node/index.ts'
import { useTestCluster } from '../../../helpers/test-cluster.ts'
import type { TestNode } from '../../../helpers/test-cluster.ts'
import { tempDir } from '../../../helpers/temp-dir.ts'
import { waitFor } from '../../../helpers/wait-for.ts'

/** A storage roster as a node keeps it: members with their capacity, some leaving or replaced. */
function roster (members: Array<[string, number, ('leaving' | 'replaced')?]>): FollowedRoster {
  return {
    known: () => members.map(([peerId, capacity]) => ({ peerId, capacity })),
    isLeaving: (p) => members.some(([id, , s]) => id === p && s === 'leaving'),
    isReplaced: (p) => members.some(([id, , s]) => id === p && s === 'replaced')
  }
}

/** Applies nextChange until the version agrees with the roster; returns the changes made. */
function follow (r: FollowedRoster, v: RosterVersion): { changes: RosterChange[], version: RosterVersion } {
  const changes: RosterChange[] = []
  for (let i = 0; i < 50; i++) {
    const change = nextChange(r, v)
    if (change === undefined) return { changes, version: v }
    const next = applyChange(v, change)
    if ('refused' in next) throw new Error(`nextChange gave a change that does not apply: ${next.refused}`)
    changes.push(change)
    v = next
  }
  throw new Error('nextChange did not converge')
}

describe('nextChange (roster versions follow the storage roster)', () => {
  it('should give nothing when the version says what the roster says', () => {
    expect(nextChange(roster([['a', 1], ['b', 2]]), { ...firstVersion([{ peerId: 'a', capacity: 1 }, { peerId: 'b', capacity: 2 }]) })).to.equal(undefined)
  })

  it('should join new members first, then change capacities and states, and forget last, until the version agrees', () => {
    const v1 = firstVersion([{ peerId: 'a', capacity: 1 }, { peerId: 'b', capacity: 1 }, { peerId: 'c', capacity: 1, state: 'replaced' }, { peerId: 'd', capacity: 1 }])
    const r = roster([['a', 2], ['b', 1, 'leaving'], ['c', 1], ['e', 3, 'replaced']])
    const { changes, version } = follow(r, v1)
    expect(changes).to.deep.equal([
      { kind: 'join', peerId: 'e', capacity: 3 },
      { kind: 'capacity', peerId: 'a', capacity: 2 },
      { kind: 'leave', peerId: 'b' },
      { kind: 'back', peerId: 'c' },
      { kind: 'replace', peerId: 'e' },
      { kind: 'forget', peerId: 'd' }
    ])
    expect(version.members).to.deep.equal([
      { peerId: 'a', capacity: 2 }, { peerId: 'b', capacity: 1, state: 'leaving' }, { peerId: 'c', capacity: 1 }, { peerId: 'e', capacity: 3, state: 'replaced' }
    ])
  })

  it('should leave out a change that does not apply (a forget that would leave no node to keep the journal)', () => {
    const v1 = firstVersion([{ peerId: 'a', capacity: 1 }])
    expect(nextChange(roster([]), v1), 'the last member is never forgotten').to.equal(undefined)
    // a member replaced, the other forgotten: the forget would leave only a replaced member
    const v = firstVersion([{ peerId: 'a', capacity: 1 }, { peerId: 'b', capacity: 1, state: 'replaced' }])
    expect(nextChange(roster([['b', 1, 'replaced']]), v)).to.equal(undefined)
  })
})

describe('formingMembers', () => {
  it('should form with every storage node the roster knows, each with its state, and the forming node itself when it knows none of itself', () => {
    expect(formingMembers(roster([['a', 2], ['b', 1, 'leaving'], ['c', 1, 'replaced']]), 'a', 5)).to.deep.equal([
      { peerId: 'a', capacity: 2 }, { peerId: 'b', capacity: 1, state: 'leaving' }, { peerId: 'c', capacity: 1, state: 'replaced' }
    ])
    expect(formingMembers(roster([['b', 1]]), 'a', 5)).to.deep.equal([{ peerId: 'b', capacity: 1 }, { peerId: 'a', capacity: 5 }])
  })
})

interface Followed { readonly node: TestNode, readonly history: RosterHistory, readonly follower: RosterFollower, readonly roster: Array<[string, number, ('leaving' | 'replaced')?]> }

/** Followers on three nodes (real libp2p on loopback, real LevelDB in temp dirs): each with its
 * replica of the roster journal, its applied versions, its RosterService and a storage roster the
 * test sets; what each other member's record says of its versions is read off the others' histories. */
describe('RosterFollower (real libp2p on loopback)', function () {
  this.timeout(60_000)
  const net = useTestCluster()
  const cleanups: Array<() => Promise<void>> = []
  afterEach(async () => { for (const c of cleanups.splice(0).reverse()) await c() })

  const followers = async (nodes: TestNode[], formsOn: TestNode): Promise<Followed[]> => {
    const all: Followed[] = []
    for (const node of nodes) {
      const dir = await tempDir()
      const replica = await RosterReplica.open(`${dir.path}/roster-store`)
      const store = await LevelStore.open(`${dir.path}/store`)
      const history = await RosterHistory.open(store)
      const live = (): Set<string> => new Set(nodes.map((n) => n.id))
      const service = new RosterService({ self: node.id, system: () => node.system, history, replica, live })
      replica.spawn(node.system)
      service.spawn(node.system)
      const rosterOf: Array<[string, number, ('leaving' | 'replaced')?]> = [[node.id, 1]]
      const members = (): VersionedMember[] => all.filter((f) => f.node !== node)
        .map((f) => ({ peerId: f.node.id, status: 'up', ...(f.history.latest !== undefined && { rosterVersion: f.history.latest.version }) }))
      const follower = new RosterFollower({ self: node.id, service, history, roster: roster(rosterOf), members, forms: () => node === formsOn, capacity: 1, intervalMs: 0, log: { info: () => undefined, warn: () => undefined, debug: () => undefined } })
      all.push({ node, history, follower, roster: rosterOf })
      cleanups.push(async () => {
        await follower.stop()
        service.close()
        await replica.close()
        await store.close()
        await dir.remove()
      })
    }
    return all
  }
  const versionsOf = (fs: readonly Followed[]): Array<number | undefined> => fs.map((f) => f.history.latest?.version)

  it('should form on the node the cluster started with, have the keeper\'s node propose what its roster knows, and bring every node to the same version', async () => {
    const nodes = await net.of([['chat'], ['chat'], ['chat']]) as [TestNode, TestNode, TestNode]
    const [a, b, c] = await followers(nodes, nodes[0])
    // b and c hear no member that applied a version, and do not form
    await b?.follower.step()
    await c?.follower.step()
    expect(versionsOf([a, b, c] as Followed[])).to.deep.equal([undefined, undefined, undefined])
    await a?.follower.step()
    expect(a?.history.latest?.members.map((m) => m.peerId)).to.deep.equal([nodes[0].id])
    // b and c catch up from a (its record names version 1), each then where the keeper is
    await b?.follower.step()
    await c?.follower.step()
    expect(versionsOf([a, b, c] as Followed[])).to.deep.equal([1, 1, 1])
    // the storage roster grows on every node, as member records arrive: only the keeper's node proposes
    for (const f of [a, b, c] as Followed[]) f.roster.splice(0, f.roster.length, ...nodes.map((n): [string, number] => [n.id, 1]))
    // (a join can move the keeper's place to the node joined: it goes on once it caught up)
    for (let round = 0; round < 3; round++) for (const f of [a, b, c] as Followed[]) await f.follower.step()
    const proposed = ([a, b, c] as Followed[]).map((f) => f.follower.stats.proposed)
    expect(proposed.reduce((x, y) => x + y), 'one proposal per change, by the keeper\'s node of the time').to.equal(2)
    expect(versionsOf([a, b, c] as Followed[])).to.deep.equal([3, 3, 3])
    expect(a?.history.latest?.members.map((m) => m.peerId)).to.deep.equal(nodes.map((n) => n.id).sort())
    // a capacity changes on every roster: one version more, every node follows
    for (const f of [a, b, c] as Followed[]) f.roster.splice(1, 1, [nodes[1].id, 4])
    for (let round = 0; round < 2; round++) for (const f of [a, b, c] as Followed[]) await f.follower.step()
    expect(versionsOf([a, b, c] as Followed[])).to.deep.equal([4, 4, 4])
    expect(c?.history.latest?.change).to.deep.equal({ kind: 'capacity', peerId: nodes[1].id, capacity: 4 })
  })

  it('should say when a node is behind its members, and catch it up before a deadline (a joining node before it is ready)', async () => {
    const nodes = await net.of([['chat'], ['chat'], ['chat']]) as [TestNode, TestNode, TestNode]
    const [a, b, c] = await followers(nodes, nodes[0]) as [Followed, Followed, Followed]
    // nobody applied a version: nobody is behind, and a catch-up has nothing to wait for
    expect([a.follower.behind(), b.follower.behind()]).to.deep.equal([undefined, undefined])
    expect(await b.follower.catchUpBefore(0)).to.equal(true)
    await a.follower.step()
    for (const f of [a, b, c]) f.roster.splice(0, f.roster.length, [nodes[0].id, 1], [nodes[1].id, 1])
    await b.follower.step()
    for (let round = 0; round < 2; round++) await a.follower.step()
    expect(versionsOf([a, b, c])).to.deep.equal([2, 1, undefined])
    // c applied none, b one: each is behind a's 2, and caught up by catchUpBefore
    expect([b.follower.behind(), c.follower.behind(), a.follower.behind()]).to.deep.equal([2, 2, undefined])
    expect(await c.follower.catchUpBefore(10_000)).to.equal(true)
    expect(await b.follower.catchUpBefore(10_000)).to.equal(true)
    expect(versionsOf([a, b, c])).to.deep.equal([2, 2, 2])
    expect(c.follower.behind()).to.equal(undefined)
    // a replica that refused an owner on c for a newer configuration version: c steps at once (its
    // loop runs only when told here), catching up; one it applied asks for nothing
    for (const f of [a, b, c]) f.roster.splice(0, f.roster.length, [nodes[0].id, 2], [nodes[1].id, 1])
    for (let round = 0; round < 2; round++) for (const f of [a, b]) await f.follower.step()
    expect(versionsOf([a, b, c])).to.deep.equal([3, 3, 2])
    const steps = c.follower.stats.caughtUp
    c.follower.heard(2)
    expect(c.follower.stats.caughtUp).to.equal(steps)
    c.follower.heard(3)
    await waitFor(() => c.history.latest?.version === 3, 'c to catch up with version 3', { timeout: 10_000, interval: 5 })
    expect(c.follower.stats.caughtUp).to.equal(steps + 1)
    // a stopped follower (its node stopping) gives up at once, however long it was given
    for (const f of [a, b, c]) f.roster.splice(0, f.roster.length, [nodes[0].id, 1], [nodes[1].id, 1], [nodes[2].id, 1])
    for (let round = 0; round < 2; round++) for (const f of [a, b]) await f.follower.step()
    expect(c.follower.behind()).to.be.above(3).and.equal(a.history.latest?.version)
    await c.follower.stop()
    expect(await c.follower.catchUpBefore(60_000)).to.equal(false)
    expect(c.history.latest?.version).to.equal(3)
  })
})
