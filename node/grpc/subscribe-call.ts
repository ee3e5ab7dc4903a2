import type * as grpc from '@grpc/grpc-js'
import type { ChatMessage, RoomInfo } from '../../actors/index.ts'
import type { ChatCalls } from './chat-calls.ts'
import { checkRoom, checkSeq } from './chat-request.ts'
import type { SubscribeRequest } from './chat-request.ts'
import { SeqOutOfRangeError } from './errors.ts'
import { RoomStream } from './room-stream.ts'

type SubscribeCall = grpc.ServerWritableStream<SubscribeRequest, unknown>

/**
 * One Subscribe call: authenticated, checked (the room, `after`, the user's stream slots, `after`
 * against the room's last seq), then a RoomStream attached to the node's chat gateway that sends
 * the history and follows the room live. Every end of the stream frees its slot and detaches it.
 */
export async function subscribeCall (calls: ChatCalls, call: SubscribeCall): Promise<void> {
  const { deps } = calls
  let roomName: string
  let after: number
  let user: string
  try {
    user = await calls.authenticate(call)
    roomName = checkRoom(call.request.room)
    after = checkSeq(call.request.after, 'after')
    calls.checkStreamSlot(user)
    // a client can only have seen durable seqs: one ahead of the room has a wrong idea of it
    // (another room's seq, a restored backup) and would wait forever for seqs already used
    const info = await calls.askRoom<RoomInfo>(roomName, (replyTo) => ({ type: 'info', replyTo }))
    if (after > info.lastSeq) {
      throw new SeqOutOfRangeError(`after: ${after} is beyond the last seq of room ${roomName} (${info.lastSeq}); subscribe with after <= ${info.lastSeq}`)
    }
    // retention dropped the records below the room's floor: the stream starts where history does
    // (else it would wait for seqs no replica holds any more)
    after = Math.max(after, (info.floor ?? 1) - 1)
  } catch (err) {
    call.emit('error', calls.failure('Subscribe', err))
    return
  }
  calls.streamOpened(user)
  let attached = false
  const stream: RoomStream = new RoomStream(call as never, {
    room: roomName,
    after,
    // called once per message sent on this stream
    toEvent: (message) => {
      deps.streams?.delivered?.()
      return deps.encoder.event(message)
    },
    maxBuffered: deps.streamBuffer,
    history: async (from, limit) => await calls.askRoom<ChatMessage[]>(roomName, (replyTo) => ({ type: 'history', after: from, limit, replyTo })),
    onEnd: () => {
      calls.streamClosed(user)
      if (attached) deps.gateway.tell({ type: 'detach', room: roomName, sink: stream })
    }
  })
  try {
    await deps.gateway.ask<void>((replyTo) => ({ type: 'attach', room: roomName, sink: stream, replyTo }))
    attached = true
    if (stream.ended) {
      deps.gateway.tell({ type: 'detach', room: roomName, sink: stream })
      return
    }
    await stream.start()
  } catch (err) {
    const status = calls.failure('Subscribe', err)
    stream.fail(status.code, status.details)
  }
}
