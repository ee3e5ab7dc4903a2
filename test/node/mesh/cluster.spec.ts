import { expect } from 'chai'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { generateKey } from '@libp2p/pnet'
import { peerIdFromPrivateKey, peerIdFromString } from '@libp2p/peer-id'
import { Packr } from 'msgpackr'
import { ActorSystem, PermissionDeniedError, chatRoom, roomDirectory, userDirectory } from '../../../actors/index.ts'
import type { Behavior, EntityType, NodeRole, PostAck, ReplyTo, RoomMsg } from '../../../actors/index.ts'
import { LevelStore } from '../../../node/index.ts'
import { Cluster } from '../../../node/mesh/cluster.ts'
import { readClusterKey, startP2pHost } from '../../../node/mesh/p2p-host.ts'
import type { P2pHost } from '../../../node/mesh/p2p-host.ts'
import { NodeRoles } from '../../../node/mesh/role-manager.ts'
import { encodeEnvelope, encodeFrame } from '../../../protocols/p2p/index.ts'
import { ACTOR_PROTOCOL, ENVELOPE, MAX_FRAME_BYTES } from '../../../protocols/p2p/index.ts'
import { tempDir } from '../../helpers/temp-dir.ts'
import { waitFor } from '../../helpers/wait-for.ts'

const FAILURE_TIMEOUT = 1_500
const quiet = { info: () => undefined, warn: () => undefined, debug: () => undefined }

interface TestNode {
  readonly id: string
  readonly host: P2pHost
  readonly system: ActorSystem
  readonly cluster: Cluster
  readonly store: LevelStore
  readonly warnings: string[]
  stop (): Promise<void>
}

type EchoMsg = { readonly text: string, readonly fail?: boolean, readonly replyTo: ReplyTo<{ text: string, node: string }> }

/** Replies with the text and where it ran; `fail` throws one of our error classes. */
function echo (): Behavior<EchoMsg, undefined> {
  return {
    init: () => undefined,
    receive (_s, msg, ctx) {
      if (msg.fail === true) throw new PermissionDeniedError(`no echo for ${msg.text}`)
      ctx.reply(msg.replyTo, { text: msg.text, node: ctx.node })
      return undefined
    }
  }
}

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

describe('Cluster: remote actors and placement (real libp2p on loopback, in one process)', function () {
  this.timeout(60_000)
  let dir: { path: string, remove: () => Promise<void> }
  let clusterKey: Uint8Array
  const nodes: TestNode[] = []
  const extra: Array<{ stop: () => Promise<void> }> = []

  async function node (roles: NodeRole[], join: readonly string[] = []): Promise<TestNode> {
    const privateKey = await generateKeyPair('Ed25519')
    const id = peerIdFromPrivateKey(privateKey).toString()
    const store = await LevelStore.open(join_(dir.path, `store-${nodes.length}`))
    const system = new ActorSystem({ node: id, journal: store.journal, snapshots: store.snapshots, strictSerialization: true })
    system.registerEntity(chatRoom)
    system.registerEntity(roomDirectory)
    system.registerEntity(userDirectory)
    system.spawn(echo(), { name: 'echo' })
    const nodeRoles = new NodeRoles(roles)
    const warnings: string[] = []
    const log = { ...quiet, warn: (_o: object, msg: string) => { warnings.push(msg) } }
    let cluster: Cluster | undefined
    let host: P2pHost | undefined
    host = await startP2pHost({
      privateKey,
      listen: '/ip4/127.0.0.1/tcp/0',
      join,
      clusterKey,
      failureTimeout: FAILURE_TIMEOUT,
      self: () => ({
        peerId: id,
        roles: [...nodeRoles.current],
        addresses: { grpc: '127.0.0.1:1', admin: '127.0.0.1:2', p2p: host?.multiaddrs() ?? [] },
        load: { actors: 1, entities: 0, mailbox: 0, rssBytes: 1 },
        capacity: 1,
        status: 'up',
        incarnation: 1,
        version: 'test'
      }),
      log
    })
    cluster = await Cluster.start({ system, journal: store.journal, roles: nodeRoles, capacity: 1, p2p: host, serving: () => true, onViewChange: () => undefined, refreshMs: 125, log })
    const started: TestNode = {
      id,
      host,
      system,
      cluster,
      store,
      warnings,
      async stop () {
        await (cluster as Cluster).stop()
        await system.terminate()
        await host.stop()
        await store.close()
      }
    }
    nodes.push(started)
    return started
  }

  /** n nodes joined to the first, each seeing all the others up. */
  async function cluster (roles: NodeRole[][]): Promise<TestNode[]> {
    const first = await node(roles[0] as NodeRole[])
    const rest: TestNode[] = []
    for (const r of roles.slice(1)) rest.push(await node(r, [first.host.multiaddrs()[0] as string]))
    const all = [first, ...rest]
    await waitFor(() => all.every((n) => n.host.members().filter((m) => m.status === 'up').length === all.length - 1),
      'every node to see the others up', { timeout: 20_000, interval: 50 })
    for (const n of all) n.cluster.refresh()
    return all
  }

  beforeEach(async () => {
    dir = await tempDir()
    const key = new Uint8Array(95)
    generateKey(key)
    await writeFile(join_(dir.path, 'cluster.key'), key)
    clusterKey = await readClusterKey(join_(dir.path, 'cluster.key'))
  })
  afterEach(async () => {
    for (const n of nodes.splice(0).reverse()) await n.stop().catch(() => undefined)
    for (const e of extra.splice(0)) await e.stop().catch(() => undefined)
    await dir.remove()
  })

  it('should ask an actor on another node, and rebuild its error with its class and name', async () => {
    const [a, b] = await cluster([['chat'], ['chat']]) as [TestNode, TestNode]
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

  it('should keep the order of messages across early, coalesced and backpressured writes', async () => {
    const [a, b] = await cluster([['chat'], ['chat']]) as [TestNode, TestNode]
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

  it('should place each entity on one owner that every node agrees on, and reach it from any node', async () => {
    const all = await cluster([['chat'], ['chat'], ['chat']])
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

  it('should refuse a message for an entity whose role no member holds, naming the role', async () => {
    const [a] = await cluster([['ai'], ['storage']]) as [TestNode, TestNode]
    const err = await a.system.entity(chatRoom, 'general').ask<PostAck>((replyTo) => ({ type: 'post', user: 'ann', text: 'hi', replyTo }))
      .then(() => undefined, (e: Error) => e)
    expect(err?.name).to.equal('NoOwnerError')
    expect(err?.message).to.match(/no member that is up holds the chat role/)
  })

  it('should forward a message that reached a node not owning the entity once, and teach the sender the owner', async () => {
    const all = await cluster([['chat'], ['chat'], ['chat']])
    const a = all[0] as TestNode
    const room = Array.from({ length: 50 }, (_, i) => `r${i}`).find((r) => a.cluster.placement.ownerOf('room', 'chat', r) !== a.id) as string
    const owner = a.cluster.placement.ownerOf('room', 'chat', room) as string
    const wrong = all.find((n) => n.id !== owner && n.id !== a.id) as TestNode
    a.cluster.placement.learnOwner('room', room, wrong.id)   // a stale cache entry
    const ack = await a.system.entity(chatRoom, room).ask<PostAck>((replyTo) => ({ type: 'post', user: 'ann', text: 'via a wrong hop', replyTo }))
    expect(ack.seq).to.equal(1)
    expect(wrong.cluster.transport?.stats.forwarded).to.equal(1)
    expect(wrong.system.entities('room')).to.deep.equal([])
    await waitFor(() => a.cluster.placement.ownerOf('room', 'chat', room) === owner, 'the owner hint to reach the sender', { timeout: 5_000 })
  })

  it('should hand off entities when a role is dropped, and activate them with their history on the nodes that hold it', async () => {
    const [a, b] = await cluster([['chat'], ['chat']]) as [TestNode, TestNode]
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

  it('should hand off a busy entity only once its work has ended, the end reaching the activation that began it', async () => {
    const [a, b] = await cluster([['ai'], ['ai']]) as [TestNode, TestNode]
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

  it('should fail asks to a member that went away at once, not at their timeout', async () => {
    const [a, b] = await cluster([['chat'], ['chat']]) as [TestNode, TestNode]
    const remote = a.system.actorAt<EchoMsg>({ node: b.id, path: '/echo' })
    await remote.ask((replyTo) => ({ text: 'warm', replyTo }))
    await b.host.stop()
    const started = Date.now()
    const err = await remote.ask((replyTo) => ({ text: 'lost', replyTo }), { timeout: 30_000 }).then(() => undefined, (e: Error) => e)
    expect(err?.name).to.equal('PeerUnreachableError')
    expect(err?.message).to.include(b.id)
    expect(Date.now() - started).to.be.lessThan(FAILURE_TIMEOUT * 3)
  })

  it('should fail a forwarded ask at its asker when the owner it was forwarded to cannot be reached', async () => {
    const [a, b, c] = await cluster([['chat'], ['chat'], ['chat']]) as [TestNode, TestNode, TestNode]
    const room = Array.from({ length: 100 }, (_, i) => `gone-${i}`).find((r) => a.cluster.placement.ownerOf('room', 'chat', r) === c.id) as string
    a.cluster.placement.learnOwner('room', room, b.id)   // a stale cache entry: a sends to b, b forwards to c
    await c.host.stop()                                  // c is gone, and nobody has noticed yet
    const started = Date.now()
    const err = await a.system.entity(chatRoom, room).ask<PostAck>((replyTo) => ({ type: 'post', user: 'ann', text: 'lost?', replyTo }), { timeout: 20_000 })
      .then(() => undefined, (e: Error) => e)
    expect(err?.name).to.equal('PeerUnreachableError')
    expect(err?.message).to.include(c.id)
    expect(Date.now() - started).to.be.lessThan(10_000)
  })

  it('should close a stream that sends garbage, oversized or malformed frames, and keep serving everyone else', async () => {
    const [a, b] = await cluster([['chat'], ['chat']]) as [TestNode, TestNode]
    const raw = await startP2pHost({
      privateKey: await generateKeyPair('Ed25519'), listen: '/ip4/127.0.0.1/tcp/0', join: [], clusterKey, failureTimeout: 60_000, log: quiet,
      self: () => ({ peerId: '', roles: [], addresses: { grpc: '', admin: '', p2p: [] }, load: { actors: 0, entities: 0, mailbox: 0, rssBytes: 0 }, capacity: 1, status: 'joining', incarnation: 1, version: '' })
    })
    extra.push(raw)
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
})

function join_ (...parts: string[]): string { return join(...parts) }

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
