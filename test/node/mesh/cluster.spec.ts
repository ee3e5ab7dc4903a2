import { expect } from 'chai'
import { ActorSystem, chatRoom } from '../../../actors/index.ts'
import type { EntityType, PostAck, ReplyTo } from '../../../actors/index.ts'
import { Cluster, NodeRoles } from '../../../node/mesh/index.ts'
import { ServiceFailures } from '../../../node/services/index.ts'
import { useTestCluster } from '../../helpers/test-cluster.ts'
import type { TestNode } from '../../helpers/test-cluster.ts'
import { waitFor } from '../../helpers/wait-for.ts'

type TaskMsg =
  | { readonly type: 'begin', readonly replyTo: ReplyTo<string> }
  | { readonly type: 'ended' }
  | { readonly type: 'where', readonly replyTo: ReplyTo<{ node: string, ended: number }> }

/** An entity whose work outlives the message that began it (as an agent's answer does): busy until
 * the test calls `end`, when the work tells the entity so (a message to itself). */
function taskType (): EntityType<TaskMsg, { ended: number }, { type: 'task-ended' }, { asker?: ReplyTo<string>, end?: () => void }> & { end: () => void } {
  let endAll: Array<() => void> = []
  return {
    type: 'task',
    role: 'ai',
    initialState: () => ({ ended: 0 }),
    applyEvent: (state) => ({ ended: state.ended + 1 }),
    createVolatile: () => ({}),
    busy: (ctx) => ctx.volatile.asker !== undefined,
    async receive (ctx, msg) {
      switch (msg.type) {
        case 'begin': {
          const self = ctx.self
          ctx.volatile.asker = msg.replyTo
          endAll.push(() => { self.tell({ type: 'ended' }) })
          return
        }
        case 'ended': {
          const asker = ctx.volatile.asker
          if (asker === undefined) return
          ctx.volatile.asker = undefined
          await ctx.persist({ type: 'task-ended' })
          ctx.reply(asker, ctx.node)
          return
        }
        case 'where':
          ctx.reply(msg.replyTo, { node: ctx.node, ended: ctx.state.ended })
      }
    },
    end: () => {
      for (const end of endAll) end()
      endAll = []
    }
  }
}

describe('Cluster: placement, hand-off and the admin view (real libp2p on loopback, in one process)', function () {
  this.timeout(60_000)
  const net = useTestCluster()

  it('should place each entity on one owner that every node agrees on, and reach it from any node', async () => {
    const all = await net.of([['chat'], ['chat'], ['chat']])
    const rooms = Array.from({ length: 24 }, (_, i) => `room-${i}`)
    for (const [i, room] of rooms.entries()) {
      const from = all[i % 3] as TestNode
      const ack = await from.system.entity(chatRoom, room).ask<PostAck>((replyTo) => ({ type: 'post', user: 'ann', text: `hello ${room}`, replyTo }))
      expect(ack.seq).to.equal(1)
      const again = await (all[(i + 1) % 3] as TestNode).system.entity(chatRoom, room).ask<PostAck>((replyTo) => ({ type: 'post', user: 'bob', text: 'second', replyTo }))
      expect(again.seq).to.equal(2)
    }
    const owners = rooms.map((room) => all.map((n) => n.cluster.placement.ownerOf('room', 'chat', room)))
    for (const o of owners) expect(new Set(o).size).to.equal(1)
    // every room is active on its owner and nowhere else
    for (const [i, room] of rooms.entries()) {
      const owner = owners[i]?.[0]
      for (const n of all) expect(n.system.entities('room').some((e) => e.key === room)).to.equal(n.id === owner)
    }
    // the three nodes share the rooms (HRW spreads them)
    expect(new Set(owners.map((o) => o[0])).size).to.equal(3)
    const listed = await all[0]?.cluster.admin.actors('room')
    expect(listed?.unreachable).to.deep.equal([])
    expect(listed?.actors.map((r) => r.key).sort()).to.deep.equal([...rooms].sort())
  })

  it('should have a joining node hear every member the cluster has before its view is taken as whole (awaitFullView)', async () => {
    const nodes = await net.of([['chat'], ['chat'], ['chat']])
    const late = await net.node(['chat'], [(nodes[0] as TestNode).host.multiaddrs()[0] as string])
    expect(await late.cluster.awaitPeers(20_000)).to.equal(true)
    // records arrive one by one: the first heard is not the cluster; the members it hears are
    expect(await late.cluster.awaitFullView(20_000)).to.deep.equal([])
    const heard = late.host.members().filter((m) => m.status !== 'down').map((m) => m.peerId).sort()
    expect(heard).to.include.members(nodes.map((n) => n.id))
  })

  it('should keep members that just joined out of placement while a settled member serves their role, and give them its entities at once when it drains, every view agreeing', async () => {
    // a settled at once (no settle time); b and c have a settle time no test waits out
    const a = await net.node(['chat'], [], { settleMs: 0 })
    const join = [a.host.multiaddrs()[0] as string]
    const b = await net.node(['chat'], join, { settleMs: 600_000 })
    const c = await net.node(['chat'], join, { settleMs: 600_000 })
    const all = [a, b, c]
    const chatView = (n: TestNode): string => JSON.stringify([...n.cluster.placement.view().chat ?? []].sort())
    const agree = (nodes: TestNode[], want: string[]): boolean => {
      for (const n of all) n.cluster.refresh()
      return nodes.every((n) => n.host.members().filter((m) => m.status !== 'down').length === 2 && chatView(n) === JSON.stringify([...want].sort()))
    }
    // b and c wait out their settle time: a keeps every room, in every view
    await waitFor(() => agree(all, [a.id]), 'every view to give chat to a alone', { timeout: 20_000, interval: 50 })
    expect([a.cluster.settled, b.cluster.settled, c.cluster.settled]).to.deep.equal([true, false, false])
    // a drains: no settled member holds chat now, so b and c take it at once, in every view
    a.setStatus('draining')
    await waitFor(() => agree(all, [b.id, c.id]), 'b and c to take chat in every view', { timeout: 20_000, interval: 50 })
    expect(a.cluster.placement.previousOwners('room', 'chat', 'anything'), 'the draining member is named as the previous owner').to.include(a.id)
    expect([b.cluster.settled, c.cluster.settled], 'they took it unsettled').to.deep.equal([false, false])
  })

  it('should refuse a message for an entity whose role no member holds, naming the role', async () => {
    const [a] = await net.of([['ai'], ['storage']]) as [TestNode, TestNode]
    const err = await a.system.entity(chatRoom, 'general').ask<PostAck>((replyTo) => ({ type: 'post', user: 'ann', text: 'hi', replyTo }))
      .then(() => undefined, (e: Error) => e)
    expect(err?.name).to.equal('NoOwnerError')
    expect(err?.message).to.match(/no member that is up holds the chat role/)
  })

  it('should hand off entities when a role is dropped, and activate them with their history on the nodes that hold it', async () => {
    const [a, b] = await net.of([['chat'], ['chat']]) as [TestNode, TestNode]
    const rooms = Array.from({ length: 12 }, (_, i) => `hand-${i}`)
    for (const room of rooms) await a.system.entity(chatRoom, room).ask<PostAck>((replyTo) => ({ type: 'post', user: 'ann', text: 'x', replyTo }))
    expect(b.system.entities('room').length).to.be.greaterThan(0)
    const info = await a.cluster.admin.setRoles(b.id, ['storage'])
    expect(info).to.deep.include({ peerId: b.id, roles: ['storage'], previous: ['chat'] })
    await waitFor(() => b.system.entities('room').length === 0, 'b to hand off its rooms', { timeout: 10_000, interval: 20 })
    await waitFor(() => !a.cluster.placement.holds(b.id, 'chat'), 'a to see the role change', { timeout: 10_000, interval: 20 })
    // each room resumes on a with the history it had on b: its journal was caught up from there
    for (const room of rooms) {
      const ack = await b.system.entity(chatRoom, room).ask<PostAck>((replyTo) => ({ type: 'post', user: 'bob', text: 'y', replyTo }))
      expect(ack.seq, room).to.equal(2)
    }
    expect(a.system.entities('room').map((e) => e.key).sort()).to.deep.equal([...rooms].sort())
    const bad = await a.cluster.admin.setRoles(b.id, ['chat', 'nope']).then(() => undefined, (e: Error) => e)
    expect(bad?.name).to.equal('InvalidRolesError')
  })

  it('should answer a post retried with its client id after its room moved to another node with the first ack, storing nothing', async () => {
    const [a, b] = await net.of([['chat'], ['chat']]) as [TestNode, TestNode]
    const room = Array.from({ length: 64 }, (_, i) => `moving-${i}`).find((r) => a.cluster.placement.ownerOf('room', 'chat', r) === b.id) as string
    const post = (): Promise<PostAck> => a.system.entity(chatRoom, room).ask<PostAck>((replyTo) => ({ type: 'post', user: 'ann', text: 'once', clientId: 'move-1', replyTo }))
    const first = await post()
    expect(b.system.entities('room').map((e) => e.key)).to.deep.equal([room])
    await a.cluster.admin.setRoles(b.id, ['storage'])
    await waitFor(() => b.system.entities('room').length === 0, 'b to hand off the room', { timeout: 10_000, interval: 20 })
    await waitFor(() => !a.cluster.placement.holds(b.id, 'chat'), 'a to see the role change', { timeout: 10_000, interval: 20 })
    // the room lives on a now, its ids rebuilt from the journal it had on b
    expect(await post()).to.deep.equal(first)
    expect(a.system.entities('room').map((e) => e.key)).to.deep.equal([room])
    const next = await a.system.entity(chatRoom, room).ask<PostAck>((replyTo) => ({ type: 'post', user: 'ann', text: 'twice', clientId: 'move-2', replyTo }))
    expect(next.seq).to.equal(first.seq + 1)
  })

  it('should hand off a busy entity only once its work has ended, the end reaching the activation that began it', async () => {
    const [a, b] = await net.of([['ai'], ['ai']]) as [TestNode, TestNode]
    const task = taskType()
    a.system.registerEntity(task)
    b.system.registerEntity(task)
    const key = Array.from({ length: 64 }, (_, i) => `t-${i}`).find((k) => a.cluster.placement.ownerOf('task', 'ai', k) === a.id) as string
    const ref = b.system.entity(task, key)
    const result = ref.ask<string>((replyTo) => ({ type: 'begin', replyTo }), { timeout: 20_000 })
    expect(await ref.ask((replyTo) => ({ type: 'where', replyTo }))).to.deep.equal({ node: a.id, ended: 0 })
    await a.cluster.admin.setRoles(a.id, ['chat'])
    await waitFor(() => b.cluster.placement.ownerOf('task', 'ai', key) === b.id, 'b to own the task', { timeout: 10_000, interval: 20 })
    // its owner is b now, but the work it began lives on a: it stays there until the work ends
    expect(a.system.entities('task').map((e) => e.key)).to.deep.equal([key])
    task.end()
    expect(await result).to.equal(a.id)
    await waitFor(() => a.system.entities('task').length === 0, 'a to hand the task off', { timeout: 10_000, interval: 20 })
    // b takes it over with its history (the end journaled on a)
    expect(await ref.ask((replyTo) => ({ type: 'where', replyTo }))).to.deep.equal({ node: b.id, ended: 1 })
  })

  it('should count a refresh that fails as a failure of view-refresh, and go on refreshing', async () => {
    const host = await net.rawPeer()
    const system = new ActorSystem({ node: host.peerId })
    const failures = new ServiceFailures()
    let refreshes = 0
    const cluster = await Cluster.start({
      system,
      heads: { head: async () => 0 },
      roles: new NodeRoles(['chat']),
      capacity: 1,
      p2p: host,
      serving: () => true,
      onViewChange: () => undefined,
      // the first refresh is Cluster.start's own; the second, the service's first run, fails
      onMembers: () => { if (++refreshes === 2) throw new Error('the roster broke') },
      refreshMs: 20,
      failures,
      log: { info: () => undefined, warn: () => undefined, debug: () => undefined }
    })
    try {
      await waitFor(() => failures.of('view-refresh') === 1 && refreshes > 3, 'a failed refresh and more after it', { timeout: 10_000, interval: 10 })
    } finally {
      await cluster.stop()
      await system.terminate()
    }
  })
})

const WAIT = { timeout: 30_000, interval: 20 }
const SETTLE_MS = 1_500

/**
 * Whether a node's view is whole (issue 35, finding 2 and part 3): a node cut off from the others
 * must not act as the cluster while cut off, nor count itself settled when it comes back while the
 * members it comes back to count it as just joined. Real libp2p on loopback, the silent-drop hook.
 */
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
