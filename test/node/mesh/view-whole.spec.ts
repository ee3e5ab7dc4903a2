/**
 * Whether a node's view is whole (issue 35, finding 2 and part 3): a node cut off from the others
 * must not act as the cluster while cut off, nor count itself settled when it comes back while the
 * members it comes back to count it as just joined. Real libp2p on loopback, the silent-drop hook.
 */
import { expect } from 'chai'
import { useTestCluster } from '../../helpers/test-cluster.ts'
import type { TestNode } from '../../helpers/test-cluster.ts'
import { waitFor } from '../../helpers/wait-for.ts'

const WAIT = { timeout: 30_000, interval: 20 }
const SETTLE_MS = 1_500

describe('Cluster.viewIsWhole (real libp2p on loopback, in one process)', function () {
  this.timeout(90_000)
  const net = useTestCluster()

  const chatView = (n: TestNode): string[] => [...n.cluster.placement.view().chat ?? []].sort()
  const statusOf = (n: TestNode, peer: TestNode): string | undefined => n.host.members().find((m) => m.peerId === peer.id)?.status

  /** Three chat nodes with a settle time, each settled and seeing the others settled. */
  const settledThree = async (): Promise<[TestNode, TestNode, TestNode]> => {
    const a = await net.node(['chat'], [], { settleMs: SETTLE_MS })
    const join = [a.host.multiaddrs()[0] as string]
    const b = await net.node(['chat'], join, { settleMs: SETTLE_MS })
    const c = await net.node(['chat'], join, { settleMs: SETTLE_MS })
    const all = [a, b, c]
    await waitFor(() => {
      for (const n of all) n.cluster.refresh()
      return all.every((n) => n.cluster.settled && n.cluster.viewIsWhole() && chatView(n).length === 3)
    }, 'all three settled, each view whole and giving chat to all three', WAIT)
    return [a, b, c]
  }

  it('should take a node cut off from the others as partial, and keep it out of its own view after the heal until it has settled again, as the others do', async () => {
    const [a, b, c] = await settledThree()
    const changes: boolean[] = []
    c.cluster.onWholeChange((whole) => { changes.push(whole) })
    // after every refresh on c: is c a candidate in its own view while its view is whole and it is not settled?
    const grabs: string[] = []
    let healed = false
    /** c's views after the heal, with every member up again and c not settled yet. */
    const rejoining: Array<{ whole: boolean, mine: string[], a: string[] }> = []
    c.host.onHeard(() => {
      if (chatView(c).includes(c.id) && c.cluster.viewIsWhole() && !c.cluster.settled) grabs.push(JSON.stringify(chatView(c)))
      if (healed && !c.cluster.settled && c.host.members().every((m) => m.status === 'up')) rejoining.push({ whole: c.cluster.viewIsWhole(), mine: chatView(c), a: chatView(a) })
    })

    await c.host.silence([a.id, b.id])
    await a.host.silence([c.id])
    await b.host.silence([c.id])
    await waitFor(() => statusOf(a, c) === 'down' && statusOf(b, c) === 'down' && statusOf(c, a) === 'down' && statusOf(c, b) === 'down', 'the cut seen from both sides', WAIT)
    for (const n of [a, b, c]) n.cluster.refresh()
    // c hears 0 of the 2 others: partial, settled no more; a and b hear a majority: whole
    expect([c.cluster.partial, c.cluster.viewIsWhole(), c.cluster.settled]).to.deep.equal([true, false, false])
    expect([a.cluster.viewIsWhole(), b.cluster.viewIsWhole()]).to.deep.equal([true, true])
    expect(chatView(a)).to.deep.equal([a.id, b.id].sort())
    expect(changes).to.deep.equal([false])

    healed = true
    for (const n of [a, b, c]) n.host.heal()
    await waitFor(() => [a, b, c].every((n) => n.host.members().every((m) => m.status === 'up')), 'every member up in every view', WAIT)
    await waitFor(() => {
      for (const n of [a, b, c]) n.cluster.refresh()
      return [a, b, c].every((n) => n.cluster.settled && n.cluster.viewIsWhole() && chatView(n).length === 3)
    }, 'c settled and back in every view', WAIT)
    expect(changes).to.deep.equal([false, true])
    expect(grabs, 'c a candidate in its own whole view before it settled').to.deep.equal([])
    // back from the cut: whole again only once it has settled, as a node that just started; until
    // then it is in nobody's view, its own included, and its view is the others'
    expect(rejoining.length, 'c heard every member up before it settled').to.be.greaterThan(0)
    for (const r of rejoining) {
      expect(r.whole, 'not whole while settling again').to.equal(false)
      expect(r.mine).to.not.include(c.id)
    }
    expect(rejoining.at(-1)?.mine).to.deep.equal(rejoining.at(-1)?.a)
  })

  it('should keep a view whole when the members it lost are gone (their processes exited), however many', async () => {
    const [a, b, c] = await net.of([['chat'], ['chat'], ['chat']]) as [TestNode, TestNode, TestNode]
    expect(a.cluster.viewIsWhole()).to.equal(true)
    await b.stop()
    await c.stop()
    net.nodes.splice(net.nodes.indexOf(b), 1)
    net.nodes.splice(net.nodes.indexOf(c), 1)
    await waitFor(() => statusOf(a, b) === 'down' && statusOf(a, c) === 'down', 'a to see b and c down', WAIT)
    a.cluster.refresh()
    expect(a.host.members().map((m) => m.gone)).to.deep.equal([true, true])
    expect([a.cluster.partial, a.cluster.viewIsWhole()]).to.deep.equal([false, true])
    expect(chatView(a)).to.deep.equal([a.id])
  })

  it('should take the two sides of an even split as partial, both', async () => {
    const [a, b] = await net.of([['chat'], ['chat']]) as [TestNode, TestNode]
    await a.host.silence([b.id])
    await b.host.silence([a.id])
    await waitFor(() => statusOf(a, b) === 'down' && statusOf(b, a) === 'down', 'each to see the other down', WAIT)
    for (const n of [a, b]) n.cluster.refresh()
    expect([a.cluster.viewIsWhole(), b.cluster.viewIsWhole()]).to.deep.equal([false, false])
    for (const n of [a, b]) n.host.heal()
    await waitFor(() => {
      for (const n of [a, b]) n.cluster.refresh()
      return a.cluster.viewIsWhole() && b.cluster.viewIsWhole()
    }, 'both whole again', WAIT)
  })
})
