import { expect } from 'chai'
import { chatRoom } from '../../../actors/index.ts'
import type { EntityType, PostAck, ReplyTo } from '../../../actors/index.ts'
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
})
