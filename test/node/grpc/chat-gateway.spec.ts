import { expect } from 'chai'
import { ActorSystem, ROOM, chatRoom, roomDirectory } from '../../../actors/index.ts'
import type { ActorRef, AgentPartial, ChatMessage, PostAck } from '../../../actors/index.ts'
import { LevelStore, openLocalJournal } from '../../../node/index.ts'
import type { ReplicatedJournal } from '../../../node/index.ts'
import { chatGateway } from '../../../node/grpc/index.ts'
import { LoneRemoting } from '../../../node/mesh/lone-remoting.ts'
import { Placement } from '../../../node/mesh/placement.ts'
import type { GatewayMsg, RoomSink } from '../../../node/grpc/index.ts'
import { tempDir } from '../../helpers/temp-dir.ts'
import { waitFor } from '../../helpers/wait-for.ts'

/** A local subscriber as a Subscribe call is one: what it was pushed, and why it was closed. */
function sink (): RoomSink & { messages: ChatMessage[], partials: AgentPartial[], closed: string[], reachedSeqs: number[] } {
  const messages: ChatMessage[] = []
  const partials: AgentPartial[] = []
  const closed: string[] = []
  const reachedSeqs: number[] = []
  return { messages, partials, closed, reachedSeqs, push: (m) => { messages.push(m) }, partial: (p) => { partials.push(p) }, close: (why) => { closed.push(why) }, reached: (seq) => { reachedSeqs.push(seq) } }
}

describe('chatGateway (real rooms, real LevelDB)', () => {
  let dir: { path: string, remove: () => Promise<void> }
  let store: LevelStore
  let journal: ReplicatedJournal
  let system: ActorSystem
  let gateway: ActorRef<GatewayMsg>

  /** Fails the open journals' holds as replication does when a newer owner fenced them. */
  const fences: Array<(err: Error) => void> = []
  /** Errors the next journal opens throw (a take that lost the entity to another node). */
  const failOpens: Error[] = []

  beforeEach(async () => {
    dir = await tempDir()
    store = await LevelStore.open(dir.path)
    journal = await openLocalJournal(store)
    fences.length = 0
    const fenceable = {
      open: async (id: string, handedOver?: unknown) => {
        const failure = failOpens.shift()
        if (failure !== undefined) throw failure
        const j = await journal.open(id, handedOver)
        const onFailed = j.onFailed.bind(j)
        j.onFailed = (listener) => {
          fences.push(listener)
          onFailed(listener)
        }
        return j
      }
    }
    system = new ActorSystem({ journal: fenceable, strictSerialization: true })
    // rooms passivate soon after their last subscriber leaves (none stays while one is subscribed)
    system.registerEntity({ ...chatRoom, idleTimeout: 20 })
    system.registerEntity(roomDirectory)
    gateway = system.spawn(chatGateway(), { name: 'chat-gateway', mailbox: 4096 })
  })
  afterEach(async () => {
    await system.terminate()
    await store.close()
    await dir.remove()
  })

  const post = (room: string, text: string): Promise<PostAck> => system.entity(ROOM, room).ask<PostAck>((replyTo) => ({ type: 'post', user: 'ann', text, replyTo }))
  const attach = (room: string, s: RoomSink): Promise<void> => gateway.ask<void>((replyTo) => ({ type: 'attach', room, sink: s, replyTo }))

  it('should subscribe once per room and fan every message out to each of its sinks, in order', async () => {
    await post('lobby', 'before')
    const [a, b, other] = [sink(), sink(), sink()]
    await attach('lobby', a)
    await attach('lobby', b)
    await attach('other', other)
    // one subscription per room, whatever the number of local subscribers
    expect(system.actors().filter((x) => x.kind === 'room').length).to.equal(2)
    for (let i = 0; i < 20; i++) await post('lobby', `m${i}`)
    await waitFor(() => a.messages.length === 20 && b.messages.length === 20, 'the pushes')
    expect(a.messages.map((m) => m.text)).to.deep.equal(Array.from({ length: 20 }, (_, i) => `m${i}`))
    expect(b.messages).to.deep.equal(a.messages)
    expect(other.messages).to.deep.equal([])
  })

  it('should stop pushing to a detached sink, and unsubscribe when a room has none left', async () => {
    const [a, b] = [sink(), sink()]
    await attach('lobby', a)
    await attach('lobby', b)
    gateway.tell({ type: 'detach', room: 'lobby', sink: a })
    await post('lobby', 'for b')
    await waitFor(() => b.messages.length === 1, 'the push to b')
    expect(a.messages).to.deep.equal([])
    gateway.tell({ type: 'detach', room: 'lobby', sink: b })
    // no subscriber left: the gateway unsubscribed, so the room passivates
    await waitFor(() => system.entities('room').length === 0, 'the room to passivate')
  })

  it('should close every sink on close-all, saying why, and count them', async () => {
    const sinks = [sink(), sink(), sink()]
    await attach('a', sinks[0] as RoomSink)
    await attach('a', sinks[1] as RoomSink)
    await attach('b', sinks[2] as RoomSink)
    const closed = await gateway.ask<number>((replyTo) => ({ type: 'close-all', reason: 'node is shutting down', replyTo }))
    expect(closed).to.equal(3)
    for (const s of sinks) expect(s.closed).to.deep.equal(['node is shutting down'])
    await post('a', 'after')
    expect(sinks[0]?.messages).to.deep.equal([])
  })

  it('should fail the attach and close its sinks when the room cannot be reached', async () => {
    // a node without the chat role, alone: no member can own a room
    system.attachRemoting(new LoneRemoting(new Placement(system.node)))
    const s = sink()
    const err = await attach('lobby', s).then(() => undefined, (e: Error) => e)
    expect(err?.message).to.match(/^cannot subscribe to room lobby: NoOwnerError: no member that is up holds the chat role/)
    expect(s.closed).to.deep.equal([err?.message])
  })

  it('should ask again for a first subscription that a room moving away refused, and not close the sink', async () => {
    // a mesh whose view makes this node the owner of every room
    const port = system.attachRemoting({ ownerOf: () => system.node, toEntity: () => 'stopped', toActor: () => 'stopped', reply: () => {} })
    // the first activation loses the room while taking it (it moved to another node): this node
    // holds back until its view changes, and then takes it
    failOpens.push(Object.assign(new Error('room/lobby: it moved to another node while this one was taking it; retry'), { name: 'TakeAbandonedError', kind: 'unavailable', superseded: true }))
    const s = sink()
    const attached = attach('lobby', s)
    await waitFor(() => failOpens.length === 0, 'the refused take')
    port.viewChanged()
    await attached
    expect(s.closed).to.deep.equal([])
    await post('lobby', 'one')
    await waitFor(() => s.messages.length === 1, 'the push')
    expect(system.stats.restarts).to.equal(0)
  })

  it('should subscribe again when the room\'s owner was superseded, and tell its sinks where the room is', async () => {
    // a mesh whose view makes this node the owner of every room
    const port = system.attachRemoting({ ownerOf: () => system.node, toEntity: () => 'stopped', toActor: () => 'stopped', reply: () => {} })
    const a = sink()
    await attach('lobby', a)
    await post('lobby', 'one')
    await waitFor(() => a.messages.length === 1, 'the first push')
    // a newer owner took the room: this activation stops and tells its subscribers
    for (const fence of fences.splice(0)) fence(Object.assign(new Error('room/lobby: epoch 1 is stale'), { name: 'StaleEpochError', kind: 'unavailable', superseded: true }))
    await waitFor(() => system.entities('room').length === 0, 'the superseded room to stop')
    expect(system.stats.restarts).to.equal(0)
    // the gateway's renewals are refused while this node holds back; once its view changes, the
    // room (the newer activation) takes the subscription again and the sink hears where it is
    port.viewChanged()
    await waitFor(() => a.reachedSeqs.includes(1), 'the renewed subscription')
    await post('lobby', 'two')
    await waitFor(() => a.messages.length === 2, 'the push from the newer activation')
    expect(a.messages.map((m) => m.seq)).to.deep.equal([1, 2])
  })
})
