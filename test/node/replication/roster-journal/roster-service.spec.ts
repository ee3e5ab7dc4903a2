import { expect } from 'chai'
import { LevelStore, ROSTER_KEEPER_PATH, RosterHistory, RosterReplica, RosterService, checkProposal, firstVersion } from '../../../../node/index.ts'
import type { RosterKeeperMsg, RosterVersion } from '../../../../node/index.ts'
import { useTestCluster } from '../../../helpers/test-cluster.ts'
import type { TestNode } from '../../../helpers/test-cluster.ts'
import { tempDir } from '../../../helpers/temp-dir.ts'

interface Part { readonly node: TestNode, readonly service: RosterService, readonly history: RosterHistory, readonly live: Set<string> }

/** Roster versions on three nodes (real libp2p on loopback, real LevelDB in temp dirs): each with its
 * replica of the roster journal, its applied versions and its RosterService. */
describe('RosterService (real libp2p on loopback)', function () {
  this.timeout(60_000)
  const net = useTestCluster()
  const cleanups: Array<() => Promise<void>> = []
  afterEach(async () => { for (const c of cleanups.splice(0).reverse()) await c() })
  const partOn = async (node: TestNode, everyone: () => string[], configs?: () => unknown): Promise<Part> => {
    const dir = await tempDir()
    const replica = await RosterReplica.open(`${dir.path}/roster-store`)
    const store = await LevelStore.open(`${dir.path}/store`)
    const history = await RosterHistory.open(store)
    const live = new Set<string>()
    const service = new RosterService({ self: node.id, system: () => node.system, history, replica, live: () => live.size > 0 ? live : new Set(everyone()), ...(configs !== undefined && { configs }) })
    replica.spawn(node.system)
    service.spawn(node.system)
    cleanups.push(async () => {
      service.close()
      await replica.close()
      await store.close()
      await dir.remove()
    })
    return { node, service, history, live }
  }
  const ids = (v: RosterVersion | undefined): string[] => v?.members.map((m) => m.peerId) ?? []

  it('should form, take changes through the keeper from any node, bring a node behind up to date, and go on after the keeper\'s node stops', async () => {
    const nodes = await net.of([['chat'], ['chat'], ['chat']]) as [TestNode, TestNode, TestNode]
    const everyone = (): string[] => nodes.map((n) => n.id)
    const [a, b, c] = await Promise.all(nodes.map(async (n) => await partOn(n, everyone))) as [Part, Part, Part]
    expect((await a.service.form(1)).version).to.equal(1)
    expect((await a.service.propose({ kind: 'join', peerId: b.node.id, capacity: 1 })).ok).to.equal(true)
    // b knows no version: it takes the ones a applied (and so where the keeper is, which may be b)
    await b.service.catchUp(a.node.id)
    expect(b.history.latest?.version).to.equal(2)
    expect((await a.service.propose({ kind: 'join', peerId: c.node.id, capacity: 1 })).ok).to.equal(true)
    expect(ids(a.history.latest).sort()).to.deep.equal(everyone().sort())
    await c.service.catchUp(b.node.id)
    await b.service.catchUp()
    await c.service.catchUp()
    expect([b.history.latest?.version, c.history.latest?.version]).to.deep.equal([3, 3])
    // a change proposed on c goes to the keeper, and c applies what it made
    const keeper = b.service.keeperNode() as string
    expect([a.service.keeperNode(), c.service.keeperNode()]).to.deep.equal([keeper, keeper])
    expect((await c.service.propose({ kind: 'capacity', peerId: c.node.id, capacity: 3 })).ok).to.equal(true)
    expect(c.history.latest?.version).to.equal(4)
    // b, behind (version 3), proposes: the roster moved on; it reads version 4 and proposes again on it
    const behind = await b.service.propose({ kind: 'capacity', peerId: b.node.id, capacity: 2 })
    expect(behind.ok).to.equal(true)
    expect(b.history.latest?.version).to.equal(5)
    // the keeper's node stops: the others see it down, and the next in their view keeps the roster
    const parts = [a, b, c]
    const gone = parts.find((p) => p.node.id === keeper) as Part
    const rest = parts.filter((p) => p !== gone)
    await gone.node.stop()
    for (const p of rest) for (const n of rest) p.live.add(n.node.id)
    const next = rest[0] as Part
    await next.service.catchUp()
    const made = await next.service.propose({ kind: 'replace', peerId: gone.node.id })
    expect(made.ok, made.ok ? '' : made.why).to.equal(true)
    expect(ids(next.history.latest).length).to.equal(3)
    expect(next.history.latest?.members.find((m) => m.peerId === gone.node.id)?.state).to.equal('replaced')
  })

  it('should answer its partitions\' configuration versions from any node, keeper or not (null where they are not known)', async () => {
    const nodes = await net.of([['chat'], ['chat']]) as [TestNode, TestNode]
    const everyone = (): string[] => nodes.map((n) => n.id)
    const known = { version: 1, configs: [1, 1, 1] }
    const a = await partOn(nodes[0], everyone)
    const b = await partOn(nodes[1], everyone, () => known)
    await a.service.form(1)
    expect(await a.service.configsOf(b.node.id)).to.deep.equal(known)
    expect(await b.service.configsOf(a.node.id)).to.equal(null)
  })

  it('should refuse what is not a keeper message, and a change that does not apply, changing nothing', async () => {
    const nodes = await net.of([['chat'], ['chat']]) as [TestNode, TestNode]
    const everyone = (): string[] => nodes.map((n) => n.id)
    const [a, b] = await Promise.all(nodes.map(async (n) => await partOn(n, everyone))) as [Part, Part]
    await a.service.form(1)
    const keeper = b.node.system.actorAt<RosterKeeperMsg>({ node: a.node.id, path: ROSTER_KEEPER_PATH })
    for (const msg of [{ type: 'propose', base: 1, change: { kind: 'form', members: [] } }, { type: 'propose', base: 0, change: { kind: 'join', peerId: 'x', capacity: 1 } }, { type: 'versions', from: -1 }, { type: 'drop' }]) {
      const err = await keeper.ask<unknown>((replyTo) => ({ ...msg, replyTo }) as unknown as RosterKeeperMsg, { timeout: 5_000 }).then(() => null, (e: unknown) => e)
      expect(err, JSON.stringify(msg)).to.have.property('name', 'InvalidReplicaRequestError')
    }
    const twice = await a.service.propose({ kind: 'join', peerId: a.node.id, capacity: 1 })
    expect(twice).to.deep.include({ ok: false })
    expect(a.history.latest?.version).to.equal(1)
    expect((await keeper.ask<RosterVersion[]>((replyTo) => ({ type: 'versions', from: 1, replyTo }), { timeout: 5_000 })).map((v) => v.version)).to.deep.equal([1])
    // and a keeper's answer that is not one is refused on the asking side
    const v1 = firstVersion([{ peerId: 'a', capacity: 1 }])
    expect(checkProposal({ ok: false, head: v1, why: 'moved on' })).to.deep.include({ ok: false, why: 'moved on' })
    for (const bad of [null, { ok: true }, { ok: false, head: { version: 'x' }, why: 'no' }, { ok: false, head: v1 }]) {
      expect(() => checkProposal(bad), JSON.stringify(bad)).to.throw().with.property('name', 'InvalidReplicaReplyError')
    }
  })
})
