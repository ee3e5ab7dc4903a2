import { expect } from 'chai'
import { ActorSystem, chatRoom, erasureLog, roomDirectory, userDirectory } from '../../../actors/index.ts'
import type { ActorAddress, ChatMessage, EraseAck, PostAck, RedactAck, RoomFeed, RoomInfo } from '../../../actors/index.ts'
import { authoredBy, postedBy, scrubbed } from '../../../actors/entities/room-redactions.ts'
import { LevelStore, openLocalJournal } from '../../../node/index.ts'
import { storeHits } from '../../helpers/store-scan.ts'
import { tempDir } from '../../helpers/temp-dir.ts'
import { waitFor } from '../../helpers/wait-for.ts'

describe('room redactions', () => {
  let dir: { path: string, remove: () => Promise<void> }
  let store: LevelStore
  let system: ActorSystem

  beforeEach(async () => {
    dir = await tempDir()
    store = await LevelStore.open(dir.path)
    system = new ActorSystem({ journal: await openLocalJournal(store), strictSerialization: true })
    system.registerEntity(chatRoom)
    system.registerEntity(roomDirectory)
    system.registerEntity(userDirectory)
    system.registerEntity(erasureLog)
  })
  afterEach(async () => {
    await system.terminate()
    await store.close()
    await dir.remove()
  })

  const room = (name: string) => system.entity(chatRoom, name)
  const post = (name: string, user: string, text: string): Promise<PostAck> => room(name).ask<PostAck>((replyTo) => ({ type: 'post', user, text, replyTo }))
  const history = (name: string, after = 0): Promise<ChatMessage[]> => room(name).ask<ChatMessage[]>((replyTo) => ({ type: 'history', after, limit: 1000, replyTo }))
  const redact = (name: string, user: string, seq: number, admin?: boolean): Promise<RedactAck> =>
    room(name).ask<RedactAck>((replyTo) => ({ type: 'redact', user, seq, ...(admin !== undefined && { admin }), replyTo }))
  const erase = (name: string, user: string): Promise<EraseAck> => room(name).ask<EraseAck>((replyTo) => ({ type: 'erase-user', user, by: 'admin', replyTo }))
  const failure = async (p: Promise<unknown>): Promise<Error> => await p.then(() => { throw new Error('expected a refusal') }, (err: Error) => err)

  describe('redact', () => {
    it('should journal a redaction with its own seq, and show the post without its text in history', async () => {
      await post('r', 'alice', 'secret plans')
      await post('r', 'bob', 'hello')
      const ack = await redact('r', 'alice', 1)
      expect(ack).to.include({ room: 'r', seq: 1, redactionSeq: 3, already: false })
      const all = await history('r')
      expect(all.map((m) => [m.seq, m.kind, m.user, m.text, m.redacted ?? false, m.redacts ?? 0])).to.deep.equal([
        [1, 'message', 'alice', '', true, 0], [2, 'message', 'bob', 'hello', false, 0], [3, 'redaction', 'alice', '', false, 1]])
      expect(JSON.stringify(all)).not.to.include('secret')
      // and the store holds the text nowhere (the post was rewritten once the redaction was durable)
      expect(await storeHits(store, 'secret plans')).to.equal(0)
      expect(await storeHits(store, 'hello')).to.be.above(0)
    })

    it('should answer already and write nothing when the post is redacted already', async () => {
      await post('r', 'alice', 'one')
      await redact('r', 'alice', 1)
      expect(await redact('r', 'alice', 1)).to.include({ already: true, redactionSeq: 0 })
      expect((await history('r')).length).to.equal(2)
    })

    it('should refuse another user\'s post, but let an admin redact it', async () => {
      await post('r', 'alice', 'mine')
      const err = await failure(redact('r', 'bob', 1))
      expect(err.name).to.equal('NotYourPostError')
      expect((await history('r'))[0]?.text).to.equal('mine')
      expect(await redact('r', 'root', 1, true)).to.include({ already: false, redactionSeq: 2 })
      expect((await history('r'))[1]).to.include({ kind: 'redaction', user: 'root', redacts: 1 })
    })

    it('should let a user redact their agent\'s answer', () => {
      expect(postedBy("alice's agent", 'alice')).to.equal(true)
      expect(postedBy("bob's agent", 'alice')).to.equal(false)
      expect(postedBy('alice', 'alice')).to.equal(true)
    })

    it('should refuse a seq past the last message, and a join or a redaction', async () => {
      await room('r').ask((replyTo) => ({ type: 'join', user: 'alice', replyTo }))
      await post('r', 'alice', 'x')
      expect((await failure(redact('r', 'alice', 9))).name).to.equal('UnknownPostError')
      expect((await failure(redact('r', 'alice', 1))).name).to.equal('NotAPostError')
      await redact('r', 'alice', 2)
      expect((await failure(redact('r', 'alice', 3))).name).to.equal('NotAPostError')
    })

    it('should push the redaction to subscribed gateways as a message of kind redaction', async () => {
      const received: ChatMessage[] = []
      const gateway = system.spawn<RoomFeed, undefined>({ receive (_s, feed) { if (feed.type === 'room-message') received.push(feed.message); return undefined } }, { name: 'gw' })
      await post('r', 'alice', 'x')
      await room('r').ask((replyTo) => ({ type: 'subscribe', gateway: gateway.address as ActorAddress, replyTo }))
      await redact('r', 'alice', 1)
      await waitFor(() => received.length === 1, 'the redaction push')
      expect(received[0]).to.include({ seq: 2, kind: 'redaction', redacts: 1, user: 'alice' })
    })

    it('should keep the redaction across a restart of the room (state rebuilt from the journal)', async () => {
      await post('r', 'alice', 'gone soon')
      await redact('r', 'alice', 1)
      await system.terminate()
      system = new ActorSystem({ journal: await openLocalJournal(store), strictSerialization: true })
      system.registerEntity({ ...chatRoom, snapshotEvery: 1 })
      system.registerEntity(roomDirectory)
      system.registerEntity(userDirectory)
    system.registerEntity(erasureLog)
      expect((await history('r'))[0]).to.include({ text: '', redacted: true })
    })
  })

  describe('erase-user', () => {
    it('should redact every post of the user, and no one else\'s, in one go', async () => {
      for (let i = 0; i < 30; i++) await post('r', i % 3 === 0 ? 'bob' : 'alice', `post ${i}!`)
      await redact('r', 'alice', 2)
      const ack = await erase('r', 'alice')
      expect(ack.redacted).to.equal(19)
      expect(ack.already).to.equal(1)
      const all = await history('r')
      const posts = all.filter((m) => m.kind === 'message')
      expect(posts.filter((m) => m.user !== 'bob').every((m) => m.text === '' && m.redacted === true)).to.equal(true)
      expect(posts.filter((m) => m.user === 'bob').every((m) => m.text.startsWith('post') && m.redacted === undefined)).to.equal(true)
      expect(all.filter((m) => m.kind === 'redaction').length).to.equal(20)
      expect(await erase('r', 'alice')).to.include({ redacted: 0 })
      for (let i = 0; i < 30; i++) expect(await storeHits(store, `post ${i}!`), `post ${i}`).to.equal(i % 3 === 0 ? 1 : 0)
    })

    it('should answer zero for a room the user never posted in, and take them out of its members', async () => {
      await room('r').ask((replyTo) => ({ type: 'join', user: 'alice', replyTo }))
      await post('r', 'bob', 'hi')
      expect(await erase('r', 'alice')).to.include({ redacted: 0, already: 0 })
      const info = await room('r').ask<RoomInfo>((replyTo) => ({ type: 'info', replyTo }))
      expect(info.members).to.deep.equal([])
      expect((await history('r')).map((m) => m.kind)).to.deep.equal(['join', 'message', 'leave'])
    })
  })

  describe('authoredBy', () => {
    it('should take a user\'s posts, their agent\'s, and posts imported with them as the original author', () => {
      const post = (user: string, from?: { user: string }) => ({ type: 'message-posted' as const, user, text: 'x', ts: 1, ...(from !== undefined && { importedFrom: { source: 's', seq: 1, ts: 1, ...from } }) })
      expect(authoredBy(post('alice'), 'alice')).to.equal(true)
      expect(authoredBy(post("alice's agent"), 'alice')).to.equal(true)
      expect(authoredBy(post('bob', { user: 'alice' }), 'alice')).to.equal(true)
      expect(authoredBy(post('bob', { user: 'carol' }), 'alice')).to.equal(false)
      expect(authoredBy(post('bob'), 'alice')).to.equal(false)
    })
  })

  describe('scrubbed', () => {
    it('should keep the post\'s author, time and ids and drop its text', () => {
      const post = { type: 'message-posted' as const, user: 'alice', text: 'x', ts: 5, clientId: 'c1' }
      expect(scrubbed(post, 'root', 9)).to.deep.equal({ type: 'message-posted', user: 'alice', text: '', ts: 5, clientId: 'c1', redacted: { by: 'root', ts: 9 } })
    })
  })
})
