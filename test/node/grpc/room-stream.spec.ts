import { expect } from 'chai'
import * as grpc from '@grpc/grpc-js'
import type { ChatMessage } from '../../../actors/index.ts'
import { SubscribeEncoder, startGrpcServer } from '../../../node/grpc/index.ts'
import { RoomStream } from '../../../node/grpc/room-stream.ts'
import { loadChatService } from '../../../protocols/grpc/index.ts'
import { chatClient } from '../../helpers/node-process.ts'
import { waitFor } from '../../helpers/wait-for.ts'

type Event = { message?: { seq: number, text: string }, live?: { lastSeq: number }, agentPartial?: { text: string } }
const message = (seq: number): ChatMessage => ({ room: 'r', seq, user: 'ann', text: `m${seq}`, ts: seq, kind: 'message' })

describe('RoomStream (real gRPC)', function () {
  this.timeout(30_000)
  let server: grpc.Server
  let client: ReturnType<typeof chatClient>
  /** The room's journal, as history reads it. */
  let room: ChatMessage[]
  let historyFails: boolean
  let historyReads: number
  /** While set, history answers only once it resolves. */
  let historyGate: Promise<void> | undefined
  let stream: RoomStream | undefined
  let ended: number

  beforeEach(async () => {
    room = [1, 2, 3].map(message)
    historyFails = false
    historyReads = 0
    historyGate = undefined
    stream = undefined
    ended = 0
    const { service, encoder } = SubscribeEncoder.install(loadChatService().service)
    const started = await startGrpcServer({ host: '127.0.0.1', port: 0 }, [{
      service,
      handlers: {
        Subscribe: (call: grpc.ServerWritableStream<{ after: number }, unknown>) => {
          stream = new RoomStream(call as never, {
            room: 'r',
            after: Number(call.request.after),
            toEvent: (m) => encoder.event(m),
            maxBuffered: 100,
            history: async (after, limit) => {
              historyReads++
              await historyGate
              if (historyFails) throw new Error('replicas gone')
              return room.filter((m) => m.seq > after).slice(0, limit)
            },
            onEnd: () => { ended++ }
          })
          // the test drives it: a client reads what it sends
          void stream.start()
        }
      }
    }])
    server = started.server
    client = chatClient(`127.0.0.1:${started.address.port}`, 'any')
  })
  afterEach(async () => {
    client.close()
    server.forceShutdown()
    // the connection closes a moment later (no event says when): the next test starts clean
    await waitFor(() => !process.getActiveResourcesInfo().includes('TCPSocketWrap'), 'the test\'s connection to close')
  })

  /** Subscribes after `after`; the events it gets, and how it ended. */
  function subscribe (after: number): { events: Event[], error: () => grpc.ServiceError | undefined } {
    const events: Event[] = []
    let error: grpc.ServiceError | undefined
    const call = client.subscribe('r', after)
    call.on('data', (e: Event) => { events.push(e) })
    call.on('error', (e: grpc.ServiceError) => { error = e })
    return { events, error: () => error }
  }
  const seqs = (events: Event[]): Array<number | string> => events.map((e) => e.message?.seq ?? (e.live !== undefined ? `live ${e.live.lastSeq}` : `partial ${e.agentPartial?.text}`))

  it('should send the history after `after`, the live marker, then pushed messages in order and each once, when the room moves on', async () => {
    const s = subscribe(1)
    await waitFor(() => stream?.live === true, 'the stream to go live')
    for (const seq of [4, 4, 3, 5]) {
      room.push(message(seq))
      stream?.push(message(seq))
    }
    await waitFor(() => s.events.length === 5, 'the live messages')
    expect(seqs(s.events)).to.deep.equal([2, 3, 'live 3', 4, 5])
    expect(stream?.lastSent).to.equal(5)
  })

  it('should fetch what a push skipped from history, with no gap and no duplicate, when a push was lost', async () => {
    const s = subscribe(0)
    await waitFor(() => stream?.live === true, 'the stream to go live')
    room.push(message(4), message(5), message(6))
    // 4 and 5 were lost on the way: 6 shows the gap
    stream?.push(message(6))
    await waitFor(() => s.events.length === 7, 'the gap filled')
    expect(seqs(s.events)).to.deep.equal([1, 2, 3, 'live 3', 4, 5, 6])
  })

  it('should catch up from history, when the room says it is past the stream with no push to show it', async () => {
    const s = subscribe(3)
    await waitFor(() => stream?.live === true, 'the stream to go live')
    room.push(message(4))
    stream?.reached(3)
    expect(historyReads).to.equal(1)
    stream?.reached(4)
    await waitFor(() => s.events.length === 2, 'the missed message')
    expect(seqs(s.events)).to.deep.equal(['live 3', 4])
  })

  it('should send an agent\'s partial answer only once live, when one comes', async () => {
    let open!: () => void
    historyGate = new Promise((resolve) => { open = resolve })
    const s = subscribe(3)
    await waitFor(() => historyReads === 1, 'the history read')
    // still reading history: a piece now would come before the message it answers
    stream?.partial({ room: 'r', requestId: 'q', user: 'agent', text: 'early', inReplyTo: 3 })
    open()
    await waitFor(() => stream?.live === true, 'the stream to go live')
    stream?.partial({ room: 'r', requestId: 'q', user: 'agent', text: 'thinking', inReplyTo: 3 })
    await waitFor(() => s.events.length === 2, 'the partial')
    expect(seqs(s.events)).to.deep.equal(['live 3', 'partial thinking'])
  })

  it('should end the call UNAVAILABLE saying where to resume, once, when closed or when history cannot be read', async () => {
    const s = subscribe(1)
    await waitFor(() => stream?.live === true, 'the stream to go live')
    stream?.close('node shutting down')
    stream?.close('again')
    await waitFor(() => s.error() !== undefined, 'the call to end')
    expect([s.error()?.code, s.error()?.details]).to.deep.equal([grpc.status.UNAVAILABLE, 'node shutting down; resubscribe with after=3'])
    expect(ended).to.equal(1)
    historyFails = true
    const failed = subscribe(0)
    await waitFor(() => failed.error() !== undefined, 'the failed call to end')
    expect([failed.error()?.code, failed.error()?.details]).to.deep.equal([grpc.status.UNAVAILABLE, 'reading the history of room r failed: Error: replicas gone; resubscribe with after=0'])
  })

  it('should end its stream when the client cancels, and take no more pushes, when the client leaves', async () => {
    const call = client.subscribe('r', 3)
    const status = new Promise<unknown>((resolve) => { call.on('status', resolve) })
    call.on('error', () => undefined)
    await waitFor(() => stream?.live === true, 'the stream to go live')
    call.cancel()
    await status
    await waitFor(() => stream?.ended === true, 'the stream to end')
    expect(ended).to.equal(1)
    stream?.push(message(4))
    expect(stream?.lastSent).to.equal(3)
  })
})
