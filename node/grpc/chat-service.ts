import { randomUUID } from 'node:crypto'
import type * as grpc from '@grpc/grpc-js'
import { ROOM, ROOMS, ROOM_DIRECTORY_KEY } from '../../actors/index.ts'
import type { ChatMessage, PostAck, RedactAck, RoomInfo, RoomSummary } from '../../actors/index.ts'
import { InvalidRequestError, MAX_HISTORY_LIMIT } from '../../protocols/index.ts'
import { ChatCalls } from './chat-calls.ts'
import { searchCall } from './chat-search.ts'
import type { SearchRequest } from './chat-search.ts'
import type { ChatServiceDeps } from './chat-calls.ts'
import { checkClientId, checkHeads, checkRoom, checkSeq } from './chat-request.ts'
import type { HistoryRequest, ListRoomsRequest, PostRequest, RedactRequest, RoomRequest, SubscribeRequest } from './chat-request.ts'
import { wireMessage } from './chat-wire.ts'
import { CHAT_HISTORY_DEFAULT, LIST_ROOMS_HEAD_TIMEOUT_MS, LIST_ROOMS_MAX_HEADS } from './constants.ts'
import { subscribeCall } from './subscribe-call.ts'
import { TransferCalls } from './transfer-calls.ts'

export type { ChatServiceDeps } from './chat-calls.ts'

/**
 * The `plexi.chat.v1.Chat` handlers. Every call authenticates first (UNAUTHENTICATED and nothing
 * else runs otherwise), then validates its request (INVALID_ARGUMENT naming the field), then
 * talks to the room entity.
 */
export function chatServiceHandlers (deps: ChatServiceDeps): grpc.UntypedServiceImplementation {
  const calls = new ChatCalls(deps)
  const transfer = new TransferCalls(deps, calls.failure)
  return {
    Export: transfer.exportHandler('room'),
    Import: transfer.importHandler('room'),
    Post: calls.unary<PostRequest, PostAck>('Post', async (req, user) => await post(calls, req, user)),
    History: calls.unary<HistoryRequest, { messages: unknown[], retainedFrom: number }>('History', async (req) => await history(calls, req)),
    ListRooms: calls.unary<ListRoomsRequest, { rooms: ListedRoom[], user: string }>('ListRooms', async (req, user) => await listRooms(calls, req, user)),
    Join: calls.unary<RoomRequest, RoomInfo>('Join', async (req, user) => await joinOrLeave(calls, 'join', req, user)),
    Leave: calls.unary<RoomRequest, RoomInfo>('Leave', async (req, user) => await joinOrLeave(calls, 'leave', req, user)),
    Members: calls.unary<RoomRequest, { members: readonly string[] }>('Members', async (req) => await members(calls, req)),
    Redact: calls.unary<RedactRequest, RedactAck>('Redact', async (req, user) => await redact(calls, req, user)),
    Search: calls.unary<SearchRequest, object>('Search', async (req, user) => await searchCall(deps.search, req, user)),
    // where the caller may go when this node stops answering (no room is asked: no write budget)
    Nodes: calls.unary<unknown, { nodes: unknown[] }>('Nodes', async () => await Promise.resolve({ nodes: [...deps.nodes?.() ?? []] })),
    Subscribe: (call: grpc.ServerWritableStream<SubscribeRequest, unknown>) => {
      // subscribeCall answers every failure on the call itself: nothing is left to reject
      void subscribeCall(calls, call)
    }
  }
}

async function post (calls: ChatCalls, req: PostRequest, user: string): Promise<PostAck> {
  const roomName = checkRoom(req.room)
  if (typeof req.text !== 'string' || req.text.length === 0) throw new InvalidRequestError('text: must not be empty')
  const bytes = Buffer.byteLength(req.text, 'utf8')
  const max = calls.deps.maxMessageBytes
  if (bytes > max) throw new InvalidRequestError(`text: ${bytes} bytes is over the limit of ${max} bytes`)
  const clientId = checkClientId(req.clientId)
  calls.limitWrites(user)
  // a post without the client's id gets one of ours (never shown): one the mesh delivers twice
  // (sent again after a hand-over whose outcome was unknown) is stored once all the same
  const id = clientId !== undefined ? { clientId } : { ref: randomUUID() }
  const ack = await calls.askRoom<PostAck>(roomName, (replyTo) => ({ type: 'post', user, text: req.text, ...id, replyTo }))
  calls.deps.onPosted?.()
  return ack
}

async function history (calls: ChatCalls, req: HistoryRequest): Promise<{ messages: unknown[], retainedFrom: number }> {
  const roomName = checkRoom(req.room)
  const after = checkSeq(req.after, 'after')
  const limit = req.limit === 0 ? CHAT_HISTORY_DEFAULT : req.limit
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_HISTORY_LIMIT) throw new InvalidRequestError(`limit: must be 1 to ${MAX_HISTORY_LIMIT} (0 means ${CHAT_HISTORY_DEFAULT})`)
  const [messages, info] = await Promise.all([
    calls.askRoom<ChatMessage[]>(roomName, (replyTo) => ({ type: 'history', after, limit, replyTo })),
    calls.askRoom<RoomInfo>(roomName, (replyTo) => ({ type: 'info', replyTo }))
  ])
  return { messages: messages.map(wireMessage), retainedFrom: info.floor ?? 1 }
}

/** A room as ListRooms lists it: with its last seq, and whether the caller is a member, when the
 * request named it in `heads`. */
type ListedRoom = RoomSummary & { readonly lastSeq?: number, readonly member?: boolean }

/** The rooms, from the directory; those of them named in `heads` (a page's unread counts) with their
 * last seq, asked of each room's owner at once, LIST_ROOMS_HEAD_TIMEOUT_MS at most: one that fails
 * or is late is listed without it (0, unknown) instead of failing the list. A name the directory
 * does not list is not asked (that would activate a room that does not exist). */
async function listRooms (calls: ChatCalls, req: ListRoomsRequest, user: string): Promise<{ rooms: ListedRoom[], user: string }> {
  const heads = new Set(checkHeads(req.heads, LIST_ROOMS_MAX_HEADS))
  const { system } = calls.deps
  const rooms = await system.entity(ROOMS, ROOM_DIRECTORY_KEY).ask<RoomSummary[]>((replyTo) => ({ type: 'list', replyTo }))
  if (heads.size === 0) return { rooms, user }
  return {
    rooms: await Promise.all(rooms.map(async (room) => heads.has(room.name)
      ? await system.entity(ROOM, room.name).ask<RoomInfo>((replyTo) => ({ type: 'info', replyTo }), { timeout: LIST_ROOMS_HEAD_TIMEOUT_MS })
        .then((info) => ({ ...room, lastSeq: info.lastSeq, member: info.members.includes(user) }), () => room)
      : room)),
    user
  }
}

/** Joins and leaves write an event each: they count against the user's write budget. */
async function joinOrLeave (calls: ChatCalls, type: 'join' | 'leave', req: RoomRequest, user: string): Promise<RoomInfo> {
  const name = checkRoom(req.room)
  calls.limitWrites(user)
  return await calls.askRoom<RoomInfo>(name, (replyTo) => ({ type, user, replyTo }))
}

/** A redaction writes an event: it counts against the user's write budget. The room checks the
 * post is the caller's (a chat client is never an admin). */
async function redact (calls: ChatCalls, req: RedactRequest, user: string): Promise<RedactAck> {
  const roomName = checkRoom(req.room)
  const seq = checkSeq(req.seq, 'seq')
  if (seq === 0) throw new InvalidRequestError('seq: must be the seq of a post (1 or more)')
  calls.limitWrites(user)
  return await calls.askRoom<RedactAck>(roomName, (replyTo) => ({ type: 'redact', user, seq, replyTo }))
}

async function members (calls: ChatCalls, req: RoomRequest): Promise<{ members: readonly string[] }> {
  const info = await calls.askRoom<RoomInfo>(checkRoom(req.room), (replyTo) => ({ type: 'info', replyTo }))
  return { members: info.members }
}
