import { expect } from 'chai'
import * as grpc from '@grpc/grpc-js'
import { MAX_STREAMS_PER_USER } from '../../../node/grpc/index.ts'
import { GrpcServices, streamFailure } from '../../helpers/grpc-services.ts'
import { waitFor } from '../../helpers/wait-for.ts'

type Event = { message?: { seq: number, text: string }, live?: { lastSeq: number } }

describe('subscribeCall (real gRPC, real LevelDB)', function () {
  this.timeout(30_000)
  let s: GrpcServices
  const streams = { open: 0, delivered: 0 }

  beforeEach(async () => {
    streams.open = 0
    streams.delivered = 0
    s = await GrpcServices.start({ streams: { opened: () => { streams.open++ }, closed: () => { streams.open-- }, delivered: () => { streams.delivered++ } } })
  })
  afterEach(async () => { await s.stop() })

  it('should send the history after `after`, the live marker, then each new message once, when a client subscribes', async () => {
    const c = s.chat(s.annToken)
    for (const text of ['one', 'two', 'three']) await c.call('Post', { room: 'r', text })
    const events: Event[] = []
    const stream = c.subscribe('r', 1)
    stream.on('data', (e: Event) => { events.push(e) })
    stream.on('error', () => undefined)
    await waitFor(() => events.some((e) => e.live !== undefined), 'the live marker')
    await c.call('Post', { room: 'r', text: 'four' })
    await waitFor(() => events.length === 4, 'the live message')
    expect(events.map((e) => e.message?.text ?? `live ${e.live?.lastSeq}`)).to.deep.equal(['two', 'three', 'live 3', 'four'])
    expect(streams).to.deep.equal({ open: 1, delivered: 3 })
    stream.cancel()
    await waitFor(() => streams.open === 0, 'the stream\'s slot freed')
  })

  it('should refuse to resume a stream after a seq the room never had with OUT_OF_RANGE', async () => {
    const c = s.chat(s.annToken)
    await c.call('Post', { room: 'short', text: 'one' })
    const err = await streamFailure(c.subscribe('short', 5))
    expect([err.code, err.details]).to.deep.equal([grpc.status.OUT_OF_RANGE, 'after: 5 is beyond the last seq of room short (1); subscribe with after <= 1'])
    expect(streams.open).to.equal(0)
  })

  it('should refuse a stream past MAX_STREAMS_PER_USER of one user with RESOURCE_EXHAUSTED, and not another user\'s', async () => {
    const c = s.chat(s.annToken)
    const open: Array<grpc.ClientReadableStream<unknown>> = []
    for (let i = 0; i < MAX_STREAMS_PER_USER; i++) {
      const stream = c.subscribe('busy', 0)
      stream.on('error', () => undefined)
      open.push(stream)
    }
    await waitFor(() => streams.open === MAX_STREAMS_PER_USER, 'every stream open')
    const err = await streamFailure(c.subscribe('busy', 0))
    expect([err.code, err.details]).to.deep.equal([grpc.status.RESOURCE_EXHAUSTED, `at most ${MAX_STREAMS_PER_USER} open Subscribe streams per user on one node; close one first`])
    const bob = s.chat(s.bobToken).subscribe('busy', 0)
    bob.on('error', () => undefined)
    await waitFor(() => streams.open === MAX_STREAMS_PER_USER + 1, 'bob\'s stream open')
    open[0]?.cancel()
    await waitFor(() => streams.open === MAX_STREAMS_PER_USER, 'a slot freed')
    const again = c.subscribe('busy', 0)
    again.on('error', () => undefined)
    await waitFor(() => streams.open === MAX_STREAMS_PER_USER + 1, 'the freed slot taken again')
  })

  it('should authenticate and check the request before it opens anything, when they are bad', async () => {
    expect((await streamFailure(s.chat(undefined).subscribe('r', 0))).code).to.equal(grpc.status.UNAUTHENTICATED)
    expect((await streamFailure(s.chat(s.annToken).subscribe('Bad Room', 0))).code).to.equal(grpc.status.INVALID_ARGUMENT)
    expect(streams.open).to.equal(0)
  })
})
