import { expect } from 'chai'
import * as grpc from '@grpc/grpc-js'
import { ActorSystem, chatRoom, erasureLog, roomDirectory, userDirectory } from '../../../actors/index.ts'
import { LevelStore, openLocalJournal, UserAccounts } from '../../../node/index.ts'
import type { ReplicatedJournal } from '../../../node/index.ts'
import { RateLimiter, SubscribeEncoder, chatGateway, chatServiceHandlers, startGrpcServer } from '../../../node/grpc/index.ts'
import { decodeRetryStatus, loadChatService, loadRetryInfoTypes } from '../../../protocols/grpc/index.ts'
import { ROOM_NAME_RULE } from '../../../protocols/index.ts'
import { chatClient } from '../../helpers/node-process.ts'
import { tempDir } from '../../helpers/temp-dir.ts'
import { waitFor } from '../../helpers/wait-for.ts'

describe('chatServiceHandlers (real gRPC, real LevelDB)', function () {
  this.timeout(30_000)
  let dir: { path: string, remove: () => Promise<void> }
  let store: LevelStore
  let journal: ReplicatedJournal
  let system: ActorSystem
  let server: grpc.Server
  let address = ''
  let token = ''
  let accepting = true
  const clients: Array<{ close: () => void }> = []
  const retryTypes = loadRetryInfoTypes()

  beforeEach(async () => {
    dir = await tempDir()
    store = await LevelStore.open(dir.path)
    system = new ActorSystem({ journal: journal = await openLocalJournal(store), strictSerialization: true })
    for (const type of [chatRoom, roomDirectory, userDirectory, erasureLog] as const) system.registerEntity(type as never)
    const users = new UserAccounts(system)
    token = (await users.add('ann')).token
    accepting = true
    const { service, encoder } = SubscribeEncoder.install(loadChatService().service)
    const started = await startGrpcServer({ host: '127.0.0.1', port: 0 }, [{
      service,
      handlers: chatServiceHandlers({
        system,
        users,
        gateway: system.spawn(chatGateway(), { name: 'chat-gateway' }),
        limiter: new RateLimiter({ rate: 0.01, burst: 3 }),
        maxMessageBytes: 100,
        streamBuffer: 100,
        retryTypes,
        encoder,
        log: { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined },
        accepting: () => accepting
      })
    }])
    server = started.server
    address = `127.0.0.1:${started.address.port}`
  })
  afterEach(async () => {
    for (const c of clients.splice(0)) c.close()
    server.forceShutdown()
    await system.terminate()
    await store.close()
    await dir.remove()
  })

  const client = (t: string | undefined): ReturnType<typeof chatClient> => {
    const c = chatClient(address, t)
    clients.push(c)
    return c
  }
  const failure = async (call: Promise<unknown>): Promise<grpc.ServiceError> => await call.then(() => { throw new Error('expected the call to fail') }, (e: grpc.ServiceError) => e)

  it('should authenticate every call before anything else, and refuse all while the node does not serve', async () => {
    expect((await failure(client(undefined).call('Post', { room: 'r', text: 'x' }))).code).to.equal(grpc.status.UNAUTHENTICATED)
    expect((await failure(client('plxu_not-a-token').call('ListRooms', {}))).details).to.equal('invalid or revoked token')
    accepting = false
    const closed = await failure(client(token).call('History', { room: 'r', after: 0, limit: 0 }))
    expect([closed.code, closed.details]).to.deep.equal([grpc.status.UNAVAILABLE, 'node is not serving (starting or shutting down); retry, or connect to another node'])
  })

  it('should refuse bad input with INVALID_ARGUMENT naming the field, never echoing a long value', async () => {
    const c = client(token)
    for (const [method, request, field] of [
      ['Post', { room: 'Bad Room', text: 'x' }, /^room: "Bad Room" is not a room name/],
      ['Post', { room: 'r', text: '' }, /^text: must not be empty/],
      ['Post', { room: 'r', text: 'x'.repeat(101) }, /^text: 101 bytes is over the limit of 100 bytes/],
      ['Post', { room: 'r', text: 'x', clientId: 'c'.repeat(65) }, /^client_id: "c{65}" is not a client id \(1-64 visible ASCII characters/],
      ['Post', { room: 'r', text: 'x', clientId: 'has space' }, /^client_id: "has space" is not a client id/],
      ['Post', { room: 'r', text: 'x', clientId: 'bell\u0007' }, /^client_id: "bell\\u0007" is not a client id/],
      ['Post', { room: 'r', text: 'x', clientId: 'é'.repeat(70_000) }, /^client_id: "é+… is not a client id/],
      ['History', { room: 'r', after: 0, limit: 5000 }, /^limit: must be 1 to 1000/],
      ['Join', { room: 'x'.repeat(200_000) }, /^room: "x+… is not a room name/]
    ] as const) {
      const err = await failure(c.call(method, request))
      expect(err.code, method).to.equal(grpc.status.INVALID_ARGUMENT)
      expect(err.details, method).to.match(field)
      expect(err.details.length).to.be.lessThan(300)
    }
  })

  it('should answer a refusal whose message is cut next to an emoji (found by fuzzing: the cut split its surrogate pair, and Leave, Members and Subscribe were never answered)', async () => {
    const c = client(token)
    // quoted, the name is cut at 80 UTF-16 units: between the two halves of the emoji
    const room = `${'x'.repeat(77)}😀`
    for (const method of ['Leave', 'Members', 'Join'] as const) {
      const err = await failure(c.call(method, { room }))
      expect([err.code, err.details], method).to.deep.equal([grpc.status.INVALID_ARGUMENT, `room: "${'x'.repeat(77)}… is not a room name (${ROOM_NAME_RULE})`])
    }
    const stream = c.subscribe(room, 0)
    const err = await new Promise<grpc.ServiceError>((resolve) => { stream.on('error', resolve) })
    expect(err.code).to.equal(grpc.status.INVALID_ARGUMENT)
  })

  it('should list rooms with the last seq and the caller\'s membership of those named in heads only, name the caller, and refuse heads that are not room names or too many', async () => {
    for (const [room, posts] of [['one', 1], ['three', 3], ['quiet', 2]] as const) {
      for (let i = 1; i <= posts; i++) await system.entity(chatRoom, room).ask((replyTo) => ({ type: 'post', user: 'ann', text: `${room} ${i}`, replyTo }))
    }
    const c = client(token)
    type Listed = { rooms: Array<{ name: string, lastSeq: number, createdBy: string }> }
    const seqs = async (heads?: string[]): Promise<Array<[string, number]>> => (await c.call<Listed>('ListRooms', heads === undefined ? {} : { heads })).rooms.map((r) => [r.name, r.lastSeq])
    expect(await seqs()).to.deep.equal([['one', 0], ['quiet', 0], ['three', 0]])
    // a name the directory does not list is not asked (nor created)
    expect(await seqs(['three', 'one', 'three', 'nowhere'])).to.deep.equal([['one', 1], ['quiet', 0], ['three', 3]])
    expect((await c.call<Listed>('ListRooms', {})).rooms.map((r) => r.name)).to.not.include('nowhere')
    // the caller's name, and whether they are a member of the rooms heads names
    await c.call('Join', { room: 'quiet' })
    const mine = await c.call<{ rooms: Array<{ name: string, member: boolean }>, user: string }>('ListRooms', { heads: ['quiet', 'one'] })
    expect([mine.user, mine.rooms.map((r) => [r.name, r.member])]).to.deep.equal(['ann', [['one', false], ['quiet', true], ['three', false]]])
    for (const [heads, details] of [
      [['Bad Room'], /^heads\[0\]: "Bad Room" is not a room name/],
      [Array.from({ length: 65 }, (_, i) => `r${i}`), /^heads: at most 64 rooms, got 65$/]
    ] as const) {
      const err = await failure(c.call('ListRooms', { heads }))
      expect(err.code).to.equal(grpc.status.INVALID_ARGUMENT)
      expect(err.details).to.match(details)
    }
  })

  it('should answer a post repeated with its client_id with the first ack, storing it once', async () => {
    const c = client(token)
    const first = await c.call<{ seq: number, ts: number }>('Post', { room: 'retried', text: 'once', clientId: 'e5c1-retry' })
    expect(await c.call('Post', { room: 'retried', text: 'once', clientId: 'e5c1-retry' })).to.deep.equal(first)
    const { messages } = await c.call<{ messages: Array<{ seq: number, text: string, clientId: string }> }>('History', { room: 'retried', after: 0, limit: 0 })
    expect(messages.map((m) => [m.seq, m.text, m.clientId])).to.deep.equal([[1, 'once', 'e5c1-retry']])
  })

  it('should redact the caller\'s own post: a Redaction event to subscribers, history without the text, and PERMISSION_DENIED for another\'s', async () => {
    const bob = (await new UserAccounts(system).add('bob')).token
    const c = client(token)
    const posted = await c.call<{ seq: number }>('Post', { room: 'red', text: 'regret this' })
    const theirs = await client(bob).call<{ seq: number }>('Post', { room: 'red', text: 'not yours' })
    const events: Array<Record<string, unknown>> = []
    const stream = c.subscribe('red', 0)
    stream.on('data', (e: Record<string, unknown>) => { events.push(e) })
    stream.on('error', () => undefined)
    await waitFor(() => events.some((e) => e.live !== undefined && e.live !== null), 'the stream live')
    const ack = await c.call<{ seq: number, redactionSeq: number, already: boolean }>('Redact', { room: 'red', seq: posted.seq })
    expect(ack).to.include({ seq: posted.seq, redactionSeq: 3, already: false })
    await waitFor(() => events.some((e) => e.redaction !== undefined && e.redaction !== null), 'the redaction event')
    expect(events.find((e) => e.redaction !== undefined && e.redaction !== null)?.redaction).to.include({ room: 'red', seq: 3, redacts: posted.seq, by: 'ann' })
    stream.cancel()
    const { messages, retainedFrom } = await c.call<{ messages: Array<{ seq: number, text: string, kind: string, redacted: boolean, redacts: number }>, retainedFrom: number }>('History', { room: 'red', after: 0, limit: 0 })
    expect(messages.map((m) => [m.seq, m.kind, m.text, m.redacted, m.redacts])).to.deep.equal([[1, 'MESSAGE', '', true, 0], [2, 'MESSAGE', 'not yours', false, 0], [3, 'REDACTION', '', false, 1]])
    expect(retainedFrom).to.equal(1)
    expect((await c.call<{ already: boolean }>('Redact', { room: 'red', seq: posted.seq })).already).to.equal(true)
    // (each user may write 3 times here: ann has)
    const carl = client((await new UserAccounts(system).add('carl')).token)
    expect((await failure(carl.call('Redact', { room: 'red', seq: theirs.seq }))).code).to.equal(grpc.status.PERMISSION_DENIED)
    expect((await failure(client(bob).call('Redact', { room: 'red', seq: 99 }))).code).to.equal(grpc.status.NOT_FOUND)
    expect((await failure(c.call('Redact', { room: 'red', seq: 0 }))).code).to.equal(grpc.status.INVALID_ARGUMENT)
  })

  it('should start a subscription and history at the room\'s retained history once retention trimmed it', async () => {
    for (let i = 1; i <= 6; i++) await system.entity(chatRoom, 'kept').ask((replyTo) => ({ type: 'post', user: 'ann', text: `line ${i}`, replyTo }))
    await system.entity(chatRoom, 'kept').ask((replyTo) => ({ type: 'apply-retention', retention: { posts: 2 }, now: Date.now(), replyTo }))
    const c = client(token)
    const { messages, retainedFrom } = await c.call<{ messages: Array<{ seq: number }>, retainedFrom: number }>('History', { room: 'kept', after: 0, limit: 0 })
    expect([messages.map((m) => m.seq), retainedFrom]).to.deep.equal([[5, 6], 5])
    expect((await c.call<{ floor: number }>('Join', { room: 'kept' })).floor).to.equal(5)
    const events: Array<{ message?: { seq: number } | null, live?: { lastSeq: number } | null }> = []
    const stream = c.subscribe('kept', 0)
    stream.on('data', (e: typeof events[number]) => { events.push(e) })
    stream.on('error', () => undefined)
    await waitFor(() => events.some((e) => e.live != null), 'the stream live')
    stream.cancel()
    expect(events.filter((e) => e.message != null).map((e) => e.message?.seq)).to.deep.equal([5, 6, 7])
  })

  it('should send a message again, with no error and stored once, when a newer owner took its room first (a move that ended in a failover)', async () => {
    const c = client(token)
    await c.call('Post', { room: 'taken', text: 'before' })
    // another activation takes the room's journal, as a new owner does in a failover: the one here
    // is fenced, its next write fails (StaleEpochError), and the post is sent again
    await journal.open('room/taken')
    const ack = await c.call<{ seq: number }>('Post', { room: 'taken', text: 'after' })
    expect(ack.seq).to.equal(2)
    await journal.open('room/taken')
    // with a client id too: the post is stored once, at the seq its ack gave
    const again = await c.call<{ seq: number }>('Post', { room: 'taken', text: 'with an id', clientId: 'a7f0-fenced' })
    expect(again.seq).to.equal(3)
    await journal.open('room/taken')
    const { messages } = await c.call<{ messages: Array<{ seq: number, text: string }> }>('History', { room: 'taken', after: 0, limit: 0 })
    expect(messages.map((m) => [m.seq, m.text])).to.deep.equal([[1, 'before'], [2, 'after'], [3, 'with an id']])
  })

  it('should limit each user\'s writes, saying how long to wait in the status and its trailers', async () => {
    const c = client(token)
    for (let i = 0; i < 3; i++) await c.call('Post', { room: 'r', text: `m${i}` })
    const limited = await failure(c.call('Join', { room: 'r' }))
    expect(limited.code).to.equal(grpc.status.RESOURCE_EXHAUSTED)
    expect(limited.details).to.match(/rate limit: at most 0.01 posts per second \(bursts of 3\); retry in \d+ ms/)
    const retryAfter = Number(limited.metadata.get('retry-after-ms')[0])
    expect(retryAfter).to.be.greaterThan(0)
    expect(decodeRetryStatus(retryTypes, limited.metadata.get('grpc-status-details-bin')[0] as Buffer).retryAfterMs).to.equal(retryAfter)
    // reads are not limited
    expect((await c.call<{ messages: unknown[] }>('History', { room: 'r', after: 0, limit: 0 })).messages).to.have.length(3)
  })
})
