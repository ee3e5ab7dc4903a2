import { expect } from 'chai'
import {
  ActorSystem, RECENT_POSTERS, RECENT_POST_IDS_PER_USER, chatRoom, checkRoomMsg, createPlainCodec, roomDirectory, userDirectory
} from '../../../actors/index.ts'
import type { ActorAddress, ChatMessage, EntityTypeKey, PostAck, RoomFeed, RoomInfo, RoomSummary } from '../../../actors/index.ts'
import { LevelStore, openLocalJournal } from '../../../node/index.ts'
import type { ReplicatedJournal } from '../../../node/index.ts'
import { roomMessage } from '../../helpers/entity-messages.ts'
import { handlesWhatItsCheckPasses } from '../../helpers/message-check-tests.ts'
import { tempDir } from '../../helpers/temp-dir.ts'
import { waitFor } from '../../helpers/wait-for.ts'

describe('chatRoom', () => {
  let dir: { path: string, remove: () => Promise<void> }
  let store: LevelStore
  let journal: ReplicatedJournal
  let system: ActorSystem

  /** The store and a system with the chat entities; rooms passivate after `roomIdleMs`, and
   * snapshot every `snapshotEvery` events, when given. */
  async function open (roomIdleMs?: number, snapshotEvery?: number): Promise<void> {
    store = await LevelStore.open(dir.path)
    system = new ActorSystem({ journal: journal = await openLocalJournal(store), strictSerialization: true })
    system.registerEntity({ ...chatRoom, ...(roomIdleMs !== undefined && { idleTimeout: roomIdleMs }), ...(snapshotEvery !== undefined && { snapshotEvery }) })
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
  const post = (name: string, user: string, text: string, clientId?: string): Promise<PostAck> =>
    room(name).ask<PostAck>((replyTo) => ({ type: 'post', user, text, ...(clientId !== undefined && { clientId }), replyTo }))
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

    it('should tell the sender when the room directory cannot be reached for its first post, and neither fail nor restart', async () => {
      // a system whose room directory answers every registration unavailable (as one cut off does)
      const lone = new ActorSystem({ journal: await openLocalJournal(store), strictSerialization: true })
      try {
        lone.registerEntity(chatRoom)
        lone.registerEntity({
          ...roomDirectory,
          receive: async (ctx, msg) => {
            if ('replyTo' in msg) ctx.fail(msg.replyTo, Object.assign(new Error('peer P is unreachable: it was declared down'), { name: 'PeerUnreachableError', kind: 'unavailable' }))
          }
        })
        const ask = (msg: (replyTo: never) => unknown): Promise<unknown> => lone.entity(chatRoom, 'orphan').ask((replyTo) => msg(replyTo as never) as never)
        for (let i = 0; i < 3; i++) {
          const err = await ask((replyTo) => ({ type: 'post', user: 'alice', text: 'hi', replyTo })).then(() => undefined, (e: unknown) => e)
          expect((err as Error | undefined)?.name, 'the post is refused with the directory\'s error').to.equal('PeerUnreachableError')
        }
        const joined = await ask((replyTo) => ({ type: 'join', user: 'bob', replyTo })).then(() => undefined, (e: unknown) => e)
        expect((joined as Error | undefined)?.name).to.equal('PeerUnreachableError')
        expect(await ask((replyTo) => ({ type: 'history', after: 0, limit: 10, replyTo }))).to.deep.equal([])
        expect([lone.stats.failures, lone.stats.restarts], 'failures and restarts').to.deep.equal([0, 0])
      } finally {
        await lone.terminate()
      }
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

  describe('room: posts with a client id', () => {
    it('should store a post repeated with its client id once, answering every repeat with the first ack, even while the first is in flight', async () => {
      // the second arrives while the first is being written: it waits for it to be durable
      const [first, again] = await Promise.all([post('ids', 'alice', 'hi', 'c-1'), post('ids', 'alice', 'hi', 'c-1')])
      expect(again).to.deep.equal(first)
      expect(await post('ids', 'alice', 'hi (retried later, text not compared)', 'c-1')).to.deep.equal(first)
      expect((await post('ids', 'alice', 'next', 'c-2')).seq).to.equal(2)
      // without an id, a repeat is a new post
      expect((await post('ids', 'alice', 'same')).seq).to.equal(3)
      expect((await post('ids', 'alice', 'same')).seq).to.equal(4)
      const messages = await history('ids')
      expect(messages.map((m) => [m.seq, m.text, m.clientId])).to.deep.equal([[1, 'hi', 'c-1'], [2, 'next', 'c-2'], [3, 'same', undefined], [4, 'same', undefined]])
    })

    it('should store a post the mesh delivers twice with its gateway\'s ref once, before and after a restart, never showing the ref', async () => {
      const posted = (text: string, ref: string): Promise<PostAck> => room('refs').ask<PostAck>((replyTo) => ({ type: 'post', user: 'alice', text, ref, replyTo }))
      const [first, again] = await Promise.all([posted('hi', 'r-1'), posted('hi', 'r-1')])
      expect(again).to.deep.equal(first)
      // a client's id that happens to equal a ref is the client's own post
      expect((await post('refs', 'alice', 'mine', 'r-1')).seq).to.equal(2)
      expect((await posted('next', 'r-2')).seq).to.equal(3)
      await close()
      await open()
      expect(await posted('hi', 'r-1')).to.deep.equal(first)
      const messages = await history('refs')
      expect(messages.map((m) => [m.seq, m.text, m.clientId])).to.deep.equal([[1, 'hi', undefined], [2, 'mine', 'r-1'], [3, 'next', undefined]])
      expect(messages.every((m) => !('ref' in m))).to.equal(true)
    })

    it('should keep ids per user: another user\'s post with the same id is another post', async () => {
      const alice = await post('per-user', 'alice', 'from alice', 'same-id')
      const bob = await post('per-user', 'bob', 'from bob', 'same-id')
      expect([alice.seq, bob.seq]).to.deep.equal([1, 2])
      expect(await post('per-user', 'bob', 'from bob', 'same-id')).to.deep.equal(bob)
      // 'constructor' is a user name and a property of every object: only the user's own ids count
      expect((await post('per-user', 'constructor', 'x', 'same-id')).seq).to.equal(3)
    })

    it('should recognise a repeat after a restart, recovering the ids from the journal and from a snapshot', async () => {
      await close()
      await open(undefined, 3)
      const acks = []
      for (let i = 1; i <= 7; i++) acks.push(await post('durable', 'alice', `m${i}`, `id-${i}`))
      await close()
      // recovered from the snapshot at seq 6 plus event 7
      await open(undefined, 3)
      expect((await journal.storage.loadSnapshot('room/durable'))?.seq).to.equal(6)
      expect(await post('durable', 'alice', 'm2 again', 'id-2')).to.deep.equal(acks[1])
      expect(await post('durable', 'alice', 'm7 again', 'id-7')).to.deep.equal(acks[6])
      expect((await post('durable', 'alice', 'm8', 'id-8')).seq).to.equal(8)
      expect((await history('durable')).length).to.equal(8)
    })

    it(`should remember a user's last ${RECENT_POST_IDS_PER_USER} ids, for the ${RECENT_POSTERS} users who posted with one most recently`, async () => {
      await post('bounded', 'alice', 'oldest', 'a-0')
      for (let i = 1; i <= RECENT_POST_IDS_PER_USER; i++) await post('bounded', 'alice', `m${i}`, `a-${i}`)
      // a-1 is still known; a-0 is one too many back: a repeat of it is a new post
      expect((await post('bounded', 'alice', 'm1 again', 'a-1')).seq).to.equal(2)
      expect((await post('bounded', 'alice', 'oldest again', 'a-0')).seq).to.equal(RECENT_POST_IDS_PER_USER + 2)
      // bob posts, then RECENT_POSTERS other users do: bob is forgotten, the last of them is not
      const bob = await post('bounded', 'bob', 'hi', 'b-0')
      const others = await Promise.all(Array.from({ length: RECENT_POSTERS }, (_, i) => post('bounded', `u${i}`, 'hi', 'x')))
      expect((await post('bounded', 'bob', 'hi again', 'b-0')).seq).to.be.above(bob.seq)
      expect(await post('bounded', `u${RECENT_POSTERS - 1}`, 'hi', 'x')).to.deep.equal(others.at(-1))
    })
  })

  it('should handle every message its check passes without crashing, and refuse the rest before it sees them', async function () {
    this.timeout(120_000)
    await handlesWhatItsCheckPasses(system, chatRoom as EntityTypeKey<unknown>, checkRoomMsg, roomMessage(), (run) => `prop-${run}`, (replyTo) => ({ type: 'info', replyTo }))
  })

  it('should round-trip the room\'s messages, events and state through msgpackr', async () => {
    const codec = createPlainCodec()
    const replyTo = { askId: '1', node: 'n' }
    const samples: Record<string, unknown[]> = {
      room: [
        { type: 'post', user: 'alice', text: 'héllo 👋', replyTo },
        { type: 'post', user: 'alice', text: 'again', clientId: '0b5a6c1e-27f4-4d7a-9a43-8e1f0e6d2c11', replyTo },
        { type: 'message-posted', user: 'alice', text: 'again', ts: 2, clientId: 'c-1' },
        { createdAt: 5, members: ['alice'], recentPosts: { alice: [{ clientId: 'c-1', seq: 2, ts: 2 }] } },
        { type: 'subscribe', gateway: { node: 'n', path: '/chat-gateway' }, replyTo },
        { type: 'message-posted', user: 'alice', text: 'x', ts: 1 },
        { createdAt: 5, members: ['alice', 'bob'] }
      ]
    }
    for (const value of samples.room ?? []) expect(codec.decode(codec.encode(value))).to.deep.equal(value)
  })
})
