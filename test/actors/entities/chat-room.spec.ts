import { expect } from 'chai'
import { ActorSystem, chatRoom, createPlainCodec, roomDirectory, userDirectory } from '../../../actors/index.ts'
import type { ActorAddress, ChatMessage, PostAck, ReplyTo, RoomFeed, RoomInfo, RoomSummary, UserDirectoryMsg, UserSummary } from '../../../actors/index.ts'
import { LevelStore, openLocalJournal } from '../../../node/index.ts'
import type { ReplicatedJournal } from '../../../node/index.ts'
import { tempDir } from '../../helpers/temp-dir.ts'
import { waitFor } from '../../helpers/wait-for.ts'

describe('chat entities', () => {
  let dir: { path: string, remove: () => Promise<void> }
  let store: LevelStore
  let journal: ReplicatedJournal
  let system: ActorSystem

  /** The store and a system with the chat entities; rooms passivate after `roomIdleMs` when given. */
  async function open (roomIdleMs?: number): Promise<void> {
    store = await LevelStore.open(dir.path)
    system = new ActorSystem({ journal: journal = await openLocalJournal(store), strictSerialization: true })
    system.registerEntity(roomIdleMs === undefined ? chatRoom : { ...chatRoom, idleTimeout: roomIdleMs })
    system.registerEntity(roomDirectory)
    system.registerEntity(userDirectory)
  }
  async function close (): Promise<void> {
    await system.terminate()
    await store.close()
  }
  beforeEach(async () => {
    dir = await tempDir()
    await open()
  })
  afterEach(async () => {
    await close()
    await dir.remove()
  })

  const room = (name: string) => system.entity(chatRoom, name)
  const post = (name: string, user: string, text: string): Promise<PostAck> =>
    room(name).ask<PostAck>((replyTo) => ({ type: 'post', user, text, replyTo }))
  const history = (name: string, after = 0, limit = 100): Promise<ChatMessage[]> =>
    room(name).ask<ChatMessage[]>((replyTo) => ({ type: 'history', after, limit, replyTo }))
  const join = (name: string, user: string): Promise<RoomInfo> => room(name).ask<RoomInfo>((replyTo) => ({ type: 'join', user, replyTo }))
  const subscribe = (name: string, gateway: ActorAddress): Promise<{ lastSeq: number }> =>
    room(name).ask<{ lastSeq: number }>((replyTo) => ({ type: 'subscribe', gateway, replyTo }))
  const leave = (name: string, user: string): Promise<RoomInfo> => room(name).ask<RoomInfo>((replyTo) => ({ type: 'leave', user, replyTo }))

  describe('room', () => {
    it('should give each message the next seq, acknowledged with seq and timestamp, and keep history in order', async () => {
      const before = Date.now()
      const acks = await Promise.all(['one', 'two', 'three'].map((text, i) => post('general', i % 2 === 0 ? 'alice' : 'bob', text)))
      expect(acks.map((a) => a.seq)).to.deep.equal([1, 2, 3])
      expect(acks.every((a) => a.room === 'general' && a.ts >= before)).to.equal(true)
      const all = await history('general')
      expect(all.map((m) => [m.seq, m.user, m.text, m.kind])).to.deep.equal([
        [1, 'alice', 'one', 'message'], [2, 'bob', 'two', 'message'], [3, 'alice', 'three', 'message']])
      expect((await history('general', 1, 1)).map((m) => m.text)).to.deep.equal(['two'])
      expect(await history('general', 3)).to.deep.equal([])
    })

    it('should record joins and leaves in the same sequence, once per change', async () => {
      await post('lobby', 'alice', 'hi')
      expect((await join('lobby', 'bob')).members).to.deep.equal(['bob'])
      expect((await join('lobby', 'alice')).members).to.deep.equal(['alice', 'bob'])
      await join('lobby', 'alice')
      const left = await leave('lobby', 'bob')
      await leave('lobby', 'bob')
      expect(left.members).to.deep.equal(['alice'])
      expect((await history('lobby')).map((m) => `${m.seq}:${m.kind}:${m.user}`))
        .to.deep.equal(['1:message:alice', '2:join:bob', '3:join:alice', '4:leave:bob'])
      const info = await room('lobby').ask<RoomInfo>((replyTo) => ({ type: 'info', replyTo }))
      expect(info).to.include({ name: 'lobby', lastSeq: 4 })
      expect(info.createdAt).to.be.above(0)
    })

    it('should push each durable message, in order, once to each subscribed gateway', async () => {
      const received: ChatMessage[] = []
      const gateway = system.spawn<RoomFeed, undefined>({ receive (_s, feed) { if (feed.type === 'room-message') received.push(feed.message); return undefined } }, { name: 'gw' })
      await post('news', 'alice', 'before')
      const sub = await subscribe('news', gateway.address)
      expect(sub.lastSeq).to.equal(1)
      await Promise.all(Array.from({ length: 50 }, (_, i) => post('news', 'bob', `m${i}`)))
      await join('news', 'carol')
      await waitFor(() => received.length === 51, 'the pushes')
      expect(received.map((m) => m.seq)).to.deep.equal(Array.from({ length: 51 }, (_, i) => i + 2))
      expect(received.at(-1)).to.include({ kind: 'join', user: 'carol' })
      room('news').tell({ type: 'unsubscribe', gateway: gateway.address })
      await post('news', 'alice', 'after')
      // subscribed again: the next message arrives, and 'after' (pushed in seq order) did not
      await subscribe('news', gateway.address)
      await post('news', 'alice', 'again')
      await waitFor(() => received.length === 52, 'the push after the resubscription')
      expect(received.at(-1)).to.include({ text: 'again', seq: 54 })
    })

    it('should drop a subscriber that cannot take a push (a gateway that is gone), wherever it was', async () => {
      await close()
      await open(10)
      await post('gone', 'alice', 'x')
      expect(await subscribe('gone', { node: 'local', path: '/nope' })).to.deep.equal({ lastSeq: 1 })
      // its first push fails: the room forgets it, and may passivate again
      await post('gone', 'alice', 'y')
      await waitFor(() => !system.entities('room').some((e) => e.key === 'gone'), 'the room to passivate')
    })

    it('should not passivate while a gateway is subscribed', async () => {
      await close()
      await open(10)
      const gateway = system.spawn<RoomFeed, undefined>({ receive: () => undefined }, { name: 'gw' })
      await post('busy', 'alice', 'x')
      await post('quiet', 'alice', 'x')
      await subscribe('busy', gateway.address)
      await waitFor(() => !system.entities('room').some((e) => e.key === 'quiet'), 'the quiet room to passivate')
      expect(system.entities('room').map((e) => e.key)).to.deep.equal(['busy'])
    })

    it('should list rooms in the directory once they have an event, and keep everything across a restart', async () => {
      await post('b-room', 'bob', 'first')
      await join('a-room', 'alice')
      await post('b-room', 'bob', 'second')
      const rooms = await system.entity(roomDirectory, 'all').ask<RoomSummary[]>((replyTo) => ({ type: 'list', replyTo }))
      expect(rooms.map((r) => [r.name, r.createdBy])).to.deep.equal([['a-room', 'alice'], ['b-room', 'bob']])
      const before = await history('b-room')
      await close()
      await open()
      expect(await history('b-room')).to.deep.equal(before)
      expect((await post('b-room', 'carol', 'third')).seq).to.equal(3)
      expect((await system.entity(roomDirectory, 'all').ask<RoomSummary[]>((replyTo) => ({ type: 'list', replyTo }))).map((r) => r.name))
        .to.deep.equal(['a-room', 'b-room'])
    })
  })

  describe('user directory', () => {
    const users = () => system.entity(userDirectory, 'all')
    const ask = <R = unknown>(build: (replyTo: ReplyTo<any>) => UserDirectoryMsg): Promise<R> => users().ask<R>(build)

    it('should add users, authenticate by token hash, list them, and revoke on removal', async () => {
      const alice = await ask<UserSummary>((replyTo) => ({ type: 'add', name: 'alice', tokenHash: 'aa11', replyTo }))
      expect(alice.name).to.equal('alice')
      await ask((replyTo) => ({ type: 'add', name: 'bob', tokenHash: 'bb22', replyTo }))
      expect(await ask((replyTo) => ({ type: 'authenticate', tokenHash: 'aa11', replyTo }))).to.equal('alice')
      expect(await ask((replyTo) => ({ type: 'authenticate', tokenHash: 'zz', replyTo }))).to.equal(null)
      expect((await ask<UserSummary[]>((replyTo) => ({ type: 'list', replyTo }))).map((u) => u.name)).to.deep.equal(['alice', 'bob'])
      await ask((replyTo) => ({ type: 'remove', name: 'alice', replyTo }))
      expect(await ask((replyTo) => ({ type: 'authenticate', tokenHash: 'aa11', replyTo }))).to.equal(null)
      expect(await ask((replyTo) => ({ type: 'get', name: 'alice', replyTo }))).to.equal(null)
      await close()
      await open()
      expect(await ask((replyTo) => ({ type: 'authenticate', tokenHash: 'bb22', replyTo }))).to.equal('bob')
      expect(await ask((replyTo) => ({ type: 'authenticate', tokenHash: 'aa11', replyTo }))).to.equal(null)
    })

    it('should refuse a duplicate user and the removal of an unknown one, changing nothing', async () => {
      await ask((replyTo) => ({ type: 'add', name: 'alice', tokenHash: 'aa', replyTo }))
      const dup = await ask((replyTo) => ({ type: 'add', name: 'alice', tokenHash: 'cc', replyTo })).then(() => null, (e: unknown) => e)
      expect(dup).to.have.property('name', 'UserExistsError')
      const unknown = await ask((replyTo) => ({ type: 'remove', name: 'zed', replyTo })).then(() => null, (e: unknown) => e)
      expect(unknown).to.have.property('name', 'UnknownUserError')
      expect(await ask((replyTo) => ({ type: 'authenticate', tokenHash: 'cc', replyTo }))).to.equal(null)
      expect(await journal.head('users/all')).to.equal(1)
    })
  })

  it('should round-trip every built-in entity type\'s messages, events and state through msgpackr', async () => {
    const codec = createPlainCodec()
    const replyTo = { askId: '1', node: 'n' }
    const samples: Record<string, unknown[]> = {
      room: [
        { type: 'post', user: 'alice', text: 'héllo 👋', replyTo },
        { type: 'subscribe', gateway: { node: 'n', path: '/chat-gateway' }, replyTo },
        { type: 'message-posted', user: 'alice', text: 'x', ts: 1 },
        { createdAt: 5, members: ['alice', 'bob'] }
      ],
      rooms: [{ type: 'register', name: 'general', by: 'alice', ts: 1, replyTo }, { rooms: { general: { createdAt: 1, createdBy: 'alice' } } }],
      users: [{ type: 'add', name: 'alice', tokenHash: 'ab', replyTo }, { users: { alice: { tokenHash: 'ab', createdAt: 1 } }, byToken: { ab: 'alice' } }]
    }
    for (const { type } of system.entityTypes()) {
      expect(samples[type], `samples for ${type}`).to.be.an('array')
      for (const value of samples[type] ?? []) expect(codec.decode(codec.encode(value))).to.deep.equal(value)
    }
  })
})
