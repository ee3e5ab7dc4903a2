import { expect } from 'chai'
import * as grpc from '@grpc/grpc-js'
import type { PostAck, RoomInfo } from '../../../actors/index.ts'
import { ChatCalls } from '../../../node/grpc/chat-calls.ts'
import { MAX_STREAMS_PER_USER, RateLimiter, SubscribeEncoder, chatGateway } from '../../../node/grpc/index.ts'
import { loadChatService } from '../../../protocols/grpc/index.ts'
import { GrpcServices, QUIET } from '../../helpers/grpc-services.ts'
import { rejection, thrown } from '../../helpers/thrown.ts'

describe('ChatCalls (a real actor system and LevelDB)', function () {
  this.timeout(30_000)
  let s: GrpcServices
  let calls: ChatCalls
  const counted = { opened: 0, closed: 0 }

  beforeEach(async () => {
    s = await GrpcServices.start()
    counted.opened = 0
    counted.closed = 0
    calls = new ChatCalls({
      system: s.system,
      users: s.users,
      gateway: s.system.spawn(chatGateway(), { name: 'calls-gateway' }),
      limiter: new RateLimiter({ rate: 0.01, burst: 2 }),
      maxMessageBytes: 100,
      streamBuffer: 100,
      retryTypes: s.retryTypes,
      encoder: SubscribeEncoder.install(loadChatService().service).encoder,
      log: QUIET,
      accepting: () => s.accepting,
      streams: { opened: () => { counted.opened++ }, closed: () => { counted.closed++ } }
    })
  })
  afterEach(async () => { await s.stop() })

  const bearer = (token: string): { metadata: grpc.Metadata } => {
    const metadata = new grpc.Metadata()
    metadata.set('authorization', `Bearer ${token}`)
    return { metadata }
  }

  it('should ask a room again, answered by its newer owner and stored once, when the owner asked was fenced by another activation', async () => {
    await calls.askRoom<PostAck>('moved', (replyTo) => ({ type: 'post', user: 'ann', text: 'before', ref: 'r-1', replyTo }))
    // another activation takes the room's journal, as a new owner does in a failover
    await s.journal.open('room/moved')
    const ack = await calls.askRoom<PostAck>('moved', (replyTo) => ({ type: 'post', user: 'ann', text: 'after', ref: 'r-2', replyTo }))
    expect(ack.seq).to.equal(2)
    expect((await calls.askRoom<RoomInfo>('moved', (replyTo) => ({ type: 'info', replyTo }))).lastSeq).to.equal(2)
  })

  it('should authenticate the caller by its bearer token, and refuse one that is wrong or a node that does not serve', async () => {
    expect(await calls.authenticate(bearer(s.annToken))).to.equal('ann')
    expect((await rejection(async () => await calls.authenticate(bearer('plxu_wrong')))).name).to.equal('UnauthenticatedError')
    s.accepting = false
    expect((await rejection(async () => await calls.authenticate(bearer(s.annToken)))).name).to.equal('NotServingError')
  })

  it('should let a user write its burst, then refuse with how long to wait, each user apart', () => {
    calls.limitWrites('ann')
    calls.limitWrites('ann')
    const err = thrown(() => { calls.limitWrites('ann') }) as Error & { retryAfterMs?: number }
    expect(err.name).to.equal('RateLimitedError')
    expect(err.message).to.match(/^rate limit: at most 0.01 posts per second \(bursts of 2\); retry in \d+ ms$/)
    expect(err.retryAfterMs).to.be.greaterThan(0)
    calls.limitWrites('bob')
  })

  it('should count each user\'s open streams, refuse one past the limit, and free a slot when one closes', () => {
    for (let i = 0; i < MAX_STREAMS_PER_USER; i++) {
      calls.checkStreamSlot('ann')
      calls.streamOpened('ann')
    }
    expect(thrown(() => { calls.checkStreamSlot('ann') }).name).to.equal('StreamLimitError')
    calls.checkStreamSlot('bob')
    calls.streamClosed('ann')
    calls.checkStreamSlot('ann')
    expect(counted).to.deep.equal({ opened: MAX_STREAMS_PER_USER, closed: 1 })
  })
})
