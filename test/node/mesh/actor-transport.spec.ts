import { expect } from 'chai'
import { peerIdFromString } from '@libp2p/peer-id'
import { Packr } from 'msgpackr'
import { InvalidMessageError, PermissionDeniedError, ROOMS, ROOM_DIRECTORY_KEY, USERS, USER_DIRECTORY_KEY, chatRoom } from '../../../actors/index.ts'
import type { ChatMessage, EntityType, PostAck, ReplyTo, RoomMsg, RoomSummary, UserSummary } from '../../../actors/index.ts'
import { chatGateway } from '../../../node/grpc/index.ts'
import { ModelNotWarmError } from '../../../node/inference/index.ts'
import { ReplicasUnavailableError } from '../../../node/replication/index.ts'
import type { Cluster } from '../../../node/mesh/index.ts'
import { ACTOR_PROTOCOL, ENVELOPE, MAX_FRAME_BYTES, encodeEnvelope, encodeFrame } from '../../../protocols/p2p/index.ts'
import { MAX_CHAT_TEXT_BYTES, MAX_HISTORY_LIMIT, kindOf } from '../../../protocols/index.ts'
import { useTestCluster } from '../../helpers/test-cluster.ts'
import type { EchoMsg, TestNode } from '../../helpers/test-cluster.ts'
import { waitFor } from '../../helpers/wait-for.ts'

describe('ActorTransport (real libp2p on loopback, in one process)', function () {
  this.timeout(60_000)
  const net = useTestCluster()

  it('should ask an actor on another node, and rebuild its error with its class and name', async () => {
    const [a, b] = await net.of([['chat'], ['chat']]) as [TestNode, TestNode]
    const remote = a.system.actorAt<EchoMsg>({ node: b.id, path: '/echo' })
    expect(await remote.ask((replyTo) => ({ text: 'hi', replyTo }))).to.deep.equal({ text: 'hi', node: b.id })
    const replies = await Promise.all(Array.from({ length: 500 }, (_, i) => remote.ask<{ text: string }>((replyTo) => ({ text: `m${i}`, replyTo }))))
    expect(replies.map((r) => r.text)).to.deep.equal(Array.from({ length: 500 }, (_, i) => `m${i}`))
    const err = await remote.ask((replyTo) => ({ text: 'x', fail: true, replyTo })).then(() => undefined, (e: Error) => e)
    expect(err).to.be.instanceOf(PermissionDeniedError)
    expect(err?.name).to.equal('PermissionDeniedError')
    expect(err?.message).to.equal('no echo for x')
    expect(err?.stack).to.include(`at peer ${b.id}`)
    // a path with no actor behind it: the ask fails at once, it does not wait for its timeout
    const missing = await a.system.actorAt<EchoMsg>({ node: b.id, path: '/nobody' })
      .ask((replyTo) => ({ text: 'x', replyTo }), { timeout: 20_000 }).then(() => undefined, (e: Error) => e)
    expect(missing?.name).to.equal('ActorStoppedError')
  })

  it('should rebuild the errors of inference and replication that another node answers with as their own classes', async () => {
    const [a, b] = await net.of([['chat'], ['chat']]) as [TestNode, TestNode]
    type FailMsg = { readonly which: 'inference' | 'replication', readonly replyTo: ReplyTo<never> }
    b.system.spawn<FailMsg, undefined>({
      init: () => undefined,
      receive (_s, msg, ctx) {
        ctx.fail(msg.replyTo, msg.which === 'inference' ? new ModelNotWarmError('model m is not loaded here with a free slot') : new ReplicasUnavailableError('room/r', 'appending', 2, 1))
        return undefined
      }
    }, { name: 'fails' })
    const failing = a.system.actorAt<FailMsg>({ node: b.id, path: '/fails' })
    const inference = await failing.ask((replyTo) => ({ which: 'inference', replyTo })).then(() => undefined, (e: Error) => e)
    expect(inference).to.be.instanceOf(ModelNotWarmError)
    expect(inference?.message).to.equal('model m is not loaded here with a free slot')
    expect(inference?.stack).to.include(`at peer ${b.id}`)
    const replication = await failing.ask((replyTo) => ({ which: 'replication', replyTo })).then(() => undefined, (e: Error) => e)
    expect(replication).to.be.instanceOf(ReplicasUnavailableError)
    expect(replication).to.include({ needed: 2, answered: 1, entity: 'room/r' })
  })

  it('should fail an ask for an entity type its owner does not know with UnknownEntityTypeError, at once', async () => {
    const [a, b] = await net.of([['chat'], ['chat']]) as [TestNode, TestNode]
    // a type only b has: placement on b may put a key of it on a, which cannot host it
    type OnlyB = { readonly type: 'ping', readonly replyTo: ReplyTo<string> }
    const onlyB: EntityType<OnlyB, null, never> = {
      type: 'only-b', role: 'chat', initialState: () => null, applyEvent: (s) => s, receive: (ctx, msg) => { ctx.reply(msg.replyTo, 'pong') }
    }
    b.system.registerEntity(onlyB)
    const key = Array.from({ length: 200 }, (_, i) => `k${i}`).find((k) => b.cluster.placement.ownerOf('only-b', 'chat', k) === a.id)
    expect(key, 'a key of only-b placed on a').to.be.a('string')
    const err = await b.system.entity(onlyB, key as string).ask<string>((replyTo) => ({ type: 'ping', replyTo }), { timeout: 20_000 })
      .then(() => undefined, (e: Error) => e)
    expect(err?.name).to.equal('UnknownEntityTypeError')
    expect(err?.message).to.equal('unknown entity type "only-b"; registered: room, rooms, users')
    expect(kindOf(err)).to.equal('not-found')
  })

  it('should send a copy of a request, never changing the caller\'s message, and still answer it', async () => {
    const [a, b] = await net.of([['chat'], ['chat']]) as [TestNode, TestNode]
    const writes: PropertyKey[] = []
    let sent: { readonly replyTo: ReplyTo<unknown> } | undefined
    const reply = await a.system.actorAt<EchoMsg>({ node: b.id, path: '/echo' }).ask<{ node: string }>((replyTo) => {
      // the reply address as the caller holds it: any write to it is seen
      const watched = new Proxy(replyTo, { set (target, key, value) { writes.push(key); return Reflect.set(target, key, value) } })
      sent = { replyTo: watched }
      return { text: 'copy', replyTo: watched }
    })
    expect(reply.node).to.equal(b.id)
    expect(writes).to.deep.equal([])
    expect(sent?.replyTo.node).to.equal(a.id)
  })

  it('should keep the order of messages across early, coalesced and backpressured writes', async () => {
    const [a, b] = await net.of([['chat'], ['chat']]) as [TestNode, TestNode]
    type LogMsg = { readonly n: number, readonly text: string } | { readonly dump: ReplyTo<number[]> }
    const seen: number[] = []
    b.system.spawn<LogMsg, undefined>({
      init: () => undefined,
      receive (_s, msg, ctx) {
        if ('dump' in msg) ctx.reply(msg.dump, seen.splice(0))
        else seen.push(msg.n)
        return undefined
      }
    }, { name: 'log', mailbox: 20_000 })
    const log = a.system.actorAt<LogMsg>({ node: b.id, path: '/log' })
    expect(await log.ask((dump) => ({ dump }))).to.deep.equal([])   // the stream is open
    const stats = (a.cluster.transport as NonNullable<Cluster['transport']>).stats
    const received = async (n: number): Promise<number[]> => {
      const got: number[] = []
      await waitFor(async () => {
        got.push(...await log.ask<number[]>((dump) => ({ dump })))
        return got.length >= n
      }, `${n} tells to arrive`, { timeout: 20_000, interval: 20 })
      return got
    }

    // a light burst: the first 32 are written at once (before this turn ends), the rest after it
    let writes = stats.writes
    for (let n = 0; n < 40; n++) log.tell({ n, text: 'x' })
    expect(stats.writes - writes).to.equal(1)
    expect(await received(40)).to.deep.equal(Array.from({ length: 40 }, (_, n) => n))

    // a heavy burst (about 4 MB): frames coalesced several to a write, writes paced by the stream
    writes = stats.writes
    const frames = stats.framesSent
    const text = 'y'.repeat(200)
    for (let n = 0; n < 19_000; n++) expect(log.tell({ n, text })).to.equal(true)
    expect(await received(19_000)).to.deep.equal(Array.from({ length: 19_000 }, (_, n) => n))
    expect(stats.framesSent - frames).to.be.greaterThan(2 * (stats.writes - writes))
  })

  it('should forward a message that reached a node not owning the entity once, and teach the sender the owner', async () => {
    const all = await net.of([['chat'], ['chat'], ['chat']])
    const a = all[0] as TestNode
    const room = Array.from({ length: 50 }, (_, i) => `r${i}`).find((r) => a.cluster.placement.ownerOf('room', 'chat', r) !== a.id) as string
    const owner = a.cluster.placement.ownerOf('room', 'chat', room) as string
    const wrong = all.find((n) => n.id !== owner && n.id !== a.id) as TestNode
    a.cluster.placement.learnOwner('room', 'chat', room, wrong.id)   // a stale cache entry
    const ack = await a.system.entity(chatRoom, room).ask<PostAck>((replyTo) => ({ type: 'post', user: 'ann', text: 'via a wrong hop', replyTo }))
    expect(ack.seq).to.equal(1)
    expect(wrong.cluster.transport?.stats.forwarded).to.equal(1)
    expect(wrong.system.entities('room')).to.deep.equal([])
    await waitFor(() => a.cluster.placement.ownerOf('room', 'chat', room) === owner, 'the owner hint to reach the sender', { timeout: 5_000 })
  })

  it('should forward once more a forwarded message that reached a draining node, to an owner that holds the role, and never a third time', async () => {
    // (b serves while its status is up, as a real node: settleMs)
    const a = await net.node(['chat'])
    const join = [a.host.multiaddrs()[0] as string]
    const b = await net.node(['chat'], join, { settleMs: 0 })
    const c = await net.node(['chat'], join)
    const all = [a, b, c]
    await waitFor(() => all.every((n) => n.host.members().filter((m) => m.status === 'up').length === 2), 'every node to see the others up', { timeout: 20_000, interval: 50 })
    // b drains: it holds the chat role no more in its own view, and every view names c or a as the owners
    b.setStatus('draining')
    await waitFor(() => !b.cluster.placement.holds(b.id, 'chat') && a.host.members().find((m) => m.peerId === b.id)?.status === 'draining', 'b to drain, in its view and a\'s', { timeout: 10_000 })
    for (const n of all) n.cluster.refresh()
    const room = Array.from({ length: 100 }, (_, i) => `hop-${i}`).find((r) => b.cluster.placement.ownerOf('room', 'chat', r) === c.id) as string
    // a sender whose view still named b, as if a first node forwarded it there: hops 1
    const raw = await net.rawPeer()
    await raw.libp2p.dial(b.host.libp2p.getMultiaddrs()[0] as never)
    const post = (text: string, hops: number): Uint8Array => encodeFrame([encodeEnvelope([ENVELOPE.ENTITY, 'room', room, { type: 'post', user: 'ann', text, replyTo: { node: raw.peerId, askId: `ask-${text}` } }, hops, raw.peerId] as never)])
    const stream = await raw.libp2p.dialProtocol(peerIdFromString(b.id), ACTOR_PROTOCOL)
    stream.send(post('second hop', 1))
    await waitFor(() => c.system.entities('room').some((e) => e.key === room), 'the room to start on c, its owner', { timeout: 10_000 })
    expect(b.system.entities('room')).to.deep.equal([])
    expect(b.cluster.transport?.stats.forwarded).to.equal(1)
    const history = async (): Promise<string[]> => (await a.system.entity(chatRoom, room).ask<ChatMessage[]>((replyTo) => ({ type: 'history', after: 0, limit: 10, replyTo } satisfies RoomMsg))).map((m) => m.text)
    await waitFor(async () => (await history()).length === 1, 'the post in the room\'s history', { timeout: 10_000 })
    expect(await history()).to.deep.equal(['second hop'])
    // one that was forwarded twice already is not forwarded again (b holds no role: it drops it)
    stream.send(post('third hop', 2))
    stream.send(post('after', 1))
    await waitFor(async () => (await history()).length === 2, 'the next post forwarded', { timeout: 10_000 })
    expect(await history()).to.deep.equal(['second hop', 'after'])
    expect(b.cluster.transport?.stats.forwarded).to.equal(2)
  })

  it('should fail asks to a member that went away at once, not at their timeout', async () => {
    const [a, b] = await net.of([['chat'], ['chat']]) as [TestNode, TestNode]
    const remote = a.system.actorAt<EchoMsg>({ node: b.id, path: '/echo' })
    await remote.ask((replyTo) => ({ text: 'warm', replyTo }))
    await b.host.stop()
    // its timeout is longer than the test's: failing with PeerUnreachableError means at once
    const err = await remote.ask((replyTo) => ({ text: 'lost', replyTo }), { timeout: 600_000 }).then(() => undefined, (e: Error) => e)
    expect(err?.name).to.equal('PeerUnreachableError')
    expect(err?.message).to.include(b.id)
  })

  it('should fail an ask of an actor on a draining member at once when that member exits, not at its timeout', async () => {
    const [a, b] = await net.of([['chat'], ['chat']]) as [TestNode, TestNode]
    // an actor that takes the ask and never answers (as a node's /migration does once its system stops)
    b.system.spawn<{ replyTo: ReplyTo<string> }, undefined>({ init: () => undefined, receive: () => undefined }, { name: 'silent' })
    b.setStatus('draining')
    await waitFor(() => a.host.members().find((m) => m.peerId === b.id)?.status === 'draining', 'a to hear that b drains', { timeout: 10_000 })
    a.cluster.refresh()
    const silent = a.system.actorAt<{ replyTo: ReplyTo<string> }>({ node: b.id, path: '/silent' })
    // its timeout is longer than the test's: failing with PeerUnreachableError means when the link closed
    const asked = silent.ask((replyTo) => ({ replyTo }), { timeout: 600_000 }).then(() => undefined, (e: Error) => e)
    const echoed = a.system.actorAt<EchoMsg>({ node: b.id, path: '/echo' })
    expect(await echoed.ask((replyTo) => ({ text: 'after', replyTo }))).to.deep.equal({ text: 'after', node: b.id })
    await b.host.stop()
    const err = await asked
    expect(err?.name).to.equal('PeerUnreachableError')
    expect(err?.message).to.include(b.id)
  })

  it('should fail a forwarded ask at its asker when the owner it was forwarded to cannot be reached', async () => {
    const [a, b, c] = await net.of([['chat'], ['chat'], ['chat']]) as [TestNode, TestNode, TestNode]
    const room = Array.from({ length: 100 }, (_, i) => `gone-${i}`).find((r) => a.cluster.placement.ownerOf('room', 'chat', r) === c.id) as string
    a.cluster.placement.learnOwner('room', 'chat', room, b.id)   // a stale cache entry: a sends to b, b forwards to c
    await b.host.partition([c.id])                       // b cannot reach c, and nobody has declared it down
    const err = await a.system.entity(chatRoom, room).ask<PostAck>((replyTo) => ({ type: 'post', user: 'ann', text: 'lost?', replyTo }), { timeout: 600_000 })
      .then(() => undefined, (e: Error) => e)
    expect(err?.name).to.equal('PeerUnreachableError')
    expect(err?.message).to.include(c.id)
  })

  it('should close a stream that sends garbage, oversized or malformed frames, and keep serving everyone else', async () => {
    const [a, b] = await net.of([['chat'], ['chat']]) as [TestNode, TestNode]
    const raw = await net.rawPeer()
        const target = peerIdFromString(a.id)
    await raw.libp2p.dial(a.host.libp2p.getMultiaddrs()[0] as never)
    const garbage: Array<{ what: string, bytes: Uint8Array }> = [
      { what: 'not msgpack', bytes: frameOf(new Uint8Array([0xc1, 0xc1, 0xc1])) },
      { what: 'a length over the limit', bytes: varint(MAX_FRAME_BYTES + 1) },
      { what: 'not an array of envelopes', bytes: frameOf(new Packr({ useRecords: false }).pack({ hello: 'world' })) },
      { what: 'an unknown envelope kind', bytes: encodeFrame([new Packr({ useRecords: false }).pack([99, 'x'])]) },
      { what: 'an entity envelope with hops 7', bytes: encodeFrame([encodeEnvelope([ENVELOPE.ENTITY, 'room', 'x', {}, 7, 'p'] as never)]) },
      { what: 'a failure without a name', bytes: encodeFrame([new Packr({ useRecords: false }).pack([ENVELOPE.FAILURE, '1', { message: 'x' }])]) }
    ]
    for (const g of garbage) {
      const stream = await raw.libp2p.dialProtocol(target, ACTOR_PROTOCOL)
      const closed = new Promise<void>((resolve) => { stream.addEventListener('close', () => { resolve() }, { once: true }) })
      stream.send(g.bytes)
      await Promise.race([closed, new Promise((_r, reject) => setTimeout(() => { reject(new Error(`stream not closed after ${g.what}`)) }, 5_000))])
    }
    expect(a.cluster.transport?.stats.framesRefused).to.equal(garbage.length)
    expect(a.warnings.filter((w) => w.startsWith('closed the actor stream')).length).to.equal(garbage.length)
    // a message for an unknown entity type is well-formed: its ask fails, the stream stays
    const fine = await b.system.actorAt<EchoMsg>({ node: a.id, path: '/echo' }).ask((replyTo) => ({ text: 'still here', replyTo }))
    expect(fine).to.deep.equal({ text: 'still here', node: a.id })
    const ack = await b.system.entity(chatRoom, 'after-garbage').ask<PostAck>((replyTo) => ({ type: 'post', user: 'ann', text: 'ok', replyTo } satisfies RoomMsg))
    expect(ack.seq).to.equal(1)
  })

  it('should run an actor\'s checkPeer on what other nodes send it, never on its own node\'s tells, and keep a gateway\'s live messages its own', async () => {
    const [a, b] = await net.of([['chat'], ['chat']]) as [TestNode, TestNode]
    type Msg = { readonly type: 'ping', readonly replyTo: ReplyTo<string> } | { readonly type: 'local-only', readonly replyTo: ReplyTo<string> }
    const seen: string[] = []
    b.system.spawn<Msg, null>({
      init: () => null,
      receive (state, msg, ctx) {
        seen.push(msg.type)
        ctx.reply(msg.replyTo, msg.type)
        return state
      },
      checkPeer (msg) {
        if ((msg as { type?: unknown }).type !== 'ping') throw new InvalidMessageError('only ping comes from peers')
      }
    }, { name: 'checked' })
    const remote = a.system.actorAt<Msg>({ node: b.id, path: '/checked' })
    expect(await remote.ask((replyTo) => ({ type: 'ping', replyTo }))).to.equal('ping')
    const before = { refusals: b.system.stats.refusals, restarts: b.system.stats.restarts, failures: b.system.stats.failures }
    const refused = await remote.ask((replyTo) => ({ type: 'local-only', replyTo })).then(() => undefined, (e: Error) => e)
    expect(refused?.name).to.equal('InvalidMessageError')
    expect(kindOf(refused)).to.equal('invalid')
    expect(refused?.message).to.equal('only ping comes from peers')
    // its own node's tells are not a peer's: taken
    expect(await b.system.actorAt<Msg>({ node: b.id, path: '/checked' }).ask((replyTo) => ({ type: 'local-only', replyTo }))).to.equal('local-only')
    expect(seen).to.deep.equal(['ping', 'local-only'])
    expect(b.system.stats.refusals).to.equal(before.refusals + 1)

    // the chat gateway takes rooms' pushes from peers, and nothing that holds its node's own sinks
    b.system.spawn(chatGateway(), { name: 'gateway-under-test' })
    const gateway = a.system.actorAt<unknown>({ node: b.id, path: '/gateway-under-test' })
    const attach = await gateway.ask((replyTo) => ({ type: 'attach', room: 'lobby', sink: {}, replyTo })).then(() => undefined, (e: Error) => e)
    expect(attach?.name).to.equal('InvalidMessageError')
    expect(attach?.message).to.match(/^room feed: unknown type "attach"; expected one of room-message, agent-partial/)
    const closeAll = await gateway.ask((replyTo) => ({ type: 'close-all', reason: 'x', replyTo })).then(() => undefined, (e: Error) => e)
    expect(closeAll?.name).to.equal('InvalidMessageError')
    gateway.tell({ type: 'room-message', message: { room: 'lobby', seq: 'one' } })
    gateway.tell({ type: 'room-message', message: { room: 'lobby', seq: 1, user: 'ann', text: 'hi', ts: 1, kind: 'message' } })
    await waitFor(() => b.system.stats.refusals >= before.refusals + 4, 'the gateway\'s refusals')
    expect(b.system.stats.refusals).to.equal(before.refusals + 4)
    expect(b.system.stats.restarts).to.equal(before.restarts)
    expect(b.system.stats.failures).to.equal(before.failures)
  })

})

describe('ActorTransport: entity messages from a peer are checked against their protocol', function () {
  this.timeout(60_000)
  const net = useTestCluster()
  /** Unhandled rejections while a test runs (each would have been logged, and may take a process down). */
  const rejections: unknown[] = []
  const onRejection = (reason: unknown): void => { rejections.push(reason) }
  beforeEach(() => {
    rejections.length = 0
    process.on('unhandledRejection', onRejection)
  })
  afterEach(() => { process.off('unhandledRejection', onRejection) })

  /** What `ask` ended with: the error, or undefined when it was answered. */
  const refusal = async (ask: Promise<unknown>): Promise<Error | undefined> => await ask.then(() => undefined, (e: Error) => e)
  /** A turn of the event loop: an unhandled rejection of what has settled is reported by then. */
  const aTurn = async (): Promise<void> => { await new Promise((resolve) => setImmediate(resolve)) }

  it('should refuse malformed room messages before the room sees them: asks answered invalid, nothing journaled, no restart, no unhandled rejection', async () => {
    const [a, b] = await net.of([['chat'], ['chat']]) as [TestNode, TestNode]
    const room = Array.from({ length: 100 }, (_, i) => `checked-${i}`).find((r) => a.cluster.placement.ownerOf('room', 'chat', r) === a.id) as string
    // b's messages for the room go over the wire to a, its owner
    const toRoom = b.system.entity(chatRoom, room)
    const post = (text: string): Promise<PostAck> => toRoom.ask<PostAck>((replyTo) => ({ type: 'post', user: 'ann', text, replyTo }))
    expect((await post('first')).seq).to.equal(1)
    const before = { refusals: a.system.stats.refusals, failures: a.system.stats.failures, restarts: a.system.stats.restarts }

    const asked: Array<[string, (replyTo: ReplyTo<unknown>) => unknown]> = [
      // the six malformed posts a member sent in the field (four were journaled)
      ['a user that is a number', (replyTo) => ({ type: 'post', user: 5, text: 'hi', replyTo })],
      ['a text that is an object', (replyTo) => ({ type: 'post', user: 'ann', text: { toString: 'x' }, replyTo })],
      ['an empty text', (replyTo) => ({ type: 'post', user: 'ann', text: '', replyTo })],
      ['an empty user', (replyTo) => ({ type: 'post', user: '', text: 'hi', replyTo })],
      ['a user that is not a user name', (replyTo) => ({ type: 'post', user: 'Ann Smith!', text: 'hi', replyTo })],
      ['a text over the limit', (replyTo) => ({ type: 'post', user: 'ann', text: 'x'.repeat(MAX_CHAT_TEXT_BYTES + 1), replyTo })],
      ['a client id too long', (replyTo) => ({ type: 'post', user: 'ann', text: 'hi', clientId: 'c'.repeat(65), replyTo })],
      ['a client id with a control character', (replyTo) => ({ type: 'post', user: 'ann', text: 'hi', clientId: 'a\nb', replyTo })],
      ['a join by a number', (replyTo) => ({ type: 'join', user: 7, replyTo })],
      ['a leave by nobody', (replyTo) => ({ type: 'leave', replyTo })],
      ['history after -1', (replyTo) => ({ type: 'history', after: -1, limit: 10, replyTo })],
      ['history with a limit that is not a number', (replyTo) => ({ type: 'history', after: 0, limit: 'all', replyTo })],
      ['history over the limit', (replyTo) => ({ type: 'history', after: 0, limit: MAX_HISTORY_LIMIT + 1, replyTo })],
      ['a subscription of a string', (replyTo) => ({ type: 'subscribe', gateway: 'gw', replyTo })],
      ['a subscription of a relative path', (replyTo) => ({ type: 'subscribe', gateway: { node: b.id, path: 'gw' }, replyTo })],
      ['an unknown type', (replyTo) => ({ type: 'delete-all', replyTo })],
      ['no type', (replyTo) => ({ user: 'ann', text: 'hi', replyTo })]
    ]
    for (const [what, build] of asked) {
      const err = await refusal(toRoom.ask(build as never, { timeout: 20_000 }))
      expect(err?.name, what).to.equal('InvalidMessageError')
      expect(kindOf(err), what).to.equal('invalid')
    }
    expect(a.system.stats.refusals - before.refusals).to.equal(asked.length)
    // a message without a usable reply address cannot be answered: it is refused all the same
    const told: unknown[] = [
      { type: 'post', user: 'ann', text: 'no reply address' },
      { type: 'post', user: 'ann', text: 'a reply address that is a string', replyTo: 'me' },
      { type: 'post', user: 'ann', text: 'an ask id that is a number', replyTo: { askId: 5, node: b.id } },
      { type: 'post', user: 'ann', text: 'an ask id too long', replyTo: { askId: 'x'.repeat(100), node: b.id } },
      { type: 'info' },
      { type: 'unsubscribe', gateway: 5 },
      { type: 'agent-replied', requestId: 5, text: 'x' },
      'not an object',
      null
    ]
    for (const msg of told) expect(toRoom.tell(msg as never)).to.equal(true)
    await waitFor(() => a.system.stats.refusals - before.refusals === asked.length + told.length, 'every tell to be refused')

    // nothing was journaled (the next post is #2), the room never crashed nor restarted
    expect((await post('second')).seq).to.equal(2)
    const history = await toRoom.ask<ChatMessage[]>((replyTo) => ({ type: 'history', after: 0, limit: 10, replyTo }))
    expect(history.map((m) => [m.seq, m.user, m.text])).to.deep.equal([[1, 'ann', 'first'], [2, 'ann', 'second']])
    expect(a.system.stats.failures).to.equal(before.failures)
    expect(a.system.stats.restarts).to.equal(before.restarts)
    // logged, but not each of them: at most 10 a minute
    expect(a.warnings.filter((w) => w.startsWith(`refused a message from ${b.id} for room/${room}`)).length).to.be.within(1, asked.length + told.length - 1)
    await aTurn()
    expect(rejections).to.deep.equal([])
  })

  it('should refuse malformed messages for the room and user directories, changing nothing', async () => {
    const [a, b] = await net.of([['chat'], ['chat']]) as [TestNode, TestNode]
    // from the node that does not own the directory: over the wire
    const senderOf = (type: string, key: string): TestNode => a.cluster.placement.ownerOf(type, 'chat', key) === a.id ? b : a
    const rooms = senderOf('rooms', ROOM_DIRECTORY_KEY).system.entity(ROOMS, ROOM_DIRECTORY_KEY)
    const users = senderOf('users', USER_DIRECTORY_KEY).system.entity(USERS, USER_DIRECTORY_KEY)
    const failures = a.system.stats.failures + b.system.stats.failures
    const hash = 'ab'.repeat(32)
    const cases: Array<[string, typeof rooms | typeof users, (replyTo: ReplyTo<unknown>) => unknown]> = [
      ['a room name that is not one', rooms, (replyTo) => ({ type: 'register', name: 'Bad Room', by: 'ann', ts: 1, replyTo })],
      ['a room named __proto__', rooms, (replyTo) => ({ type: 'register', name: '__proto__', by: 'ann', ts: 1, replyTo })],
      ['a creator that is a number', rooms, (replyTo) => ({ type: 'register', name: 'fine', by: 5, ts: 1, replyTo })],
      ['a time that is a string', rooms, (replyTo) => ({ type: 'register', name: 'fine', by: 'ann', ts: 'now', replyTo })],
      ['an unknown directory type', rooms, (replyTo) => ({ type: 'drop', replyTo })],
      ['a user name that is not one', users, (replyTo) => ({ type: 'add', name: 'Eve!', tokenHash: hash, replyTo })],
      ['a token hash that is not hex', users, (replyTo) => ({ type: 'add', name: 'eve', tokenHash: 'not a hash', replyTo })],
      ['a token hash that is a number', users, (replyTo) => ({ type: 'authenticate', tokenHash: 5, replyTo })],
      ['a removal of nobody', users, (replyTo) => ({ type: 'remove', name: '', replyTo })],
      ['a lookup of an object', users, (replyTo) => ({ type: 'get', name: {}, replyTo })]
    ]
    for (const [what, target, build] of cases) {
      const err = await refusal(target.ask(build as never, { timeout: 20_000 }))
      expect(err?.name, what).to.equal('InvalidMessageError')
    }
    expect(await rooms.ask<RoomSummary[]>((replyTo) => ({ type: 'list', replyTo }))).to.deep.equal([])
    expect(await users.ask<UserSummary[]>((replyTo) => ({ type: 'list', replyTo }))).to.deep.equal([])
    expect(a.system.stats.failures + b.system.stats.failures).to.equal(failures)
    await aTurn()
    expect(rejections).to.deep.equal([])
  })
})

function varint (n: number): Uint8Array {
  const out: number[] = []
  while (n >= 0x80) {
    out.push((n & 0x7f) | 0x80)
    n = Math.floor(n / 128)
  }
  out.push(n)
  return new Uint8Array(out)
}

function frameOf (body: Uint8Array): Uint8Array {
  const prefix = varint(body.byteLength)
  const out = new Uint8Array(prefix.byteLength + body.byteLength)
  out.set(prefix)
  out.set(body, prefix.byteLength)
  return out
}
