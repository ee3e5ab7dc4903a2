import { randomUUID } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { ROOM, ROOMS, ROOM_DIRECTORY_KEY, isSuperseded } from '../../actors/index.ts'
import type { ActorSystem, AgentAnswer, AgentStreamEvent, ChatMessage, PostAck, ReplyTo, RoomInfo, RoomMsg, RoomSummary } from '../../actors/index.ts'
import { CLIENT_ID_RULE, InvalidRequestError, MAX_HISTORY_LIMIT, RateLimitedError, ROOM_NAME_RULE, clip, isClientId, isRoomName } from '../../protocols/index.ts'
import type { AgentAsker } from '../inference/index.ts'
import type { RateLimiter } from '../limits/index.ts'
import { SUPERSEDED_RESEND_MS } from './constants.ts'
import { UnknownRoomError } from './errors.ts'

/** A room's messages from a seq on, and where its history ends now. */
export interface RoomHistory {
  readonly room: string
  /** The room's last durable seq when it was read. */
  readonly lastSeq: number
  readonly messages: readonly ChatMessage[]
}

/**
 * What the MCP endpoint does for a user, the same as the gRPC services do it: rooms are read and
 * posted to by any authenticated user, posts count against the user's chat rate and carry the
 * client's id (a retry with the same id is stored once), and a user asks only their own agent.
 * Every argument is checked here too (InvalidRequestError naming the field): the tools' schemas
 * are the first check, not the only one.
 */
export interface McpBackend {
  /** The largest post or question, in UTF-8 bytes (config `max-message-bytes`). */
  readonly maxMessageBytes: number
  /** Every room of the cluster, oldest first. */
  rooms (): Promise<readonly RoomSummary[]>
  /** `limit` messages after seq `after`; without `after`, the room's last `limit` messages.
   * UnknownRoomError for a room no one posted in. */
  history (room: string, opts: { readonly after?: number | undefined, readonly limit: number }): Promise<RoomHistory>
  /** Posts as `user`; `clientId` makes a retry of the same post a no-op answered with the
   * first one's ack. */
  post (user: string, room: string, text: string, clientId?: string): Promise<PostAck>
  /** Asks `user`'s own agent; `onEvent` gets its tokens and queue positions as they come;
   * aborting `signal` cancels the generation (the agent keeps what it made). */
  ask (user: string, question: string, opts: { readonly signal: AbortSignal, readonly onEvent: (event: AgentStreamEvent['event']) => void }): Promise<AgentAnswer>
}

export interface McpBackendDeps {
  readonly system: ActorSystem
  readonly asker: AgentAsker
  /** The user's chat write budget (config `chat-rate`, `chat-burst`). */
  readonly limiter: RateLimiter
  /** config `max-message-bytes` */
  readonly maxMessageBytes: number
  /** A post was stored (the node's chat message counter). */
  readonly onPosted?: () => void
}

/** The MCP endpoint's backend on a node: rooms through their entities, agents through the asker. */
export function mcpBackend (deps: McpBackendDeps): McpBackend {
  const askRoom = async <T>(name: string, make: (replyTo: ReplyTo<T>) => RoomMsg): Promise<T> => await roomAsk<T>(deps.system, name, make)
  return {
    maxMessageBytes: deps.maxMessageBytes,
    async rooms () {
      return await deps.system.entity(ROOMS, ROOM_DIRECTORY_KEY).ask<RoomSummary[]>((replyTo) => ({ type: 'list', replyTo }))
    },
    async history (room, opts) {
      const name = checkRoom(room)
      const { after, limit } = opts
      if (after !== undefined && (!Number.isSafeInteger(after) || after < 0)) throw new InvalidRequestError('after: must be a seq >= 0')
      if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_HISTORY_LIMIT) throw new InvalidRequestError(`limit: must be 1 to ${MAX_HISTORY_LIMIT}`)
      const info = await askRoom<RoomInfo>(name, (replyTo) => ({ type: 'info', replyTo }))
      if (info.lastSeq === 0) throw new UnknownRoomError(`no room named ${name}: a room exists once someone posted in it`)
      const from = after ?? Math.max(0, info.lastSeq - limit)
      const messages = await askRoom<ChatMessage[]>(name, (replyTo) => ({ type: 'history', after: from, limit, replyTo }))
      return { room: name, lastSeq: Math.max(info.lastSeq, messages.at(-1)?.seq ?? 0), messages }
    },
    async post (user, room, text, clientId) {
      const name = checkRoom(room)
      // as the gRPC service: any text but none (a post of spaces is a post)
      checkText('text', text, deps.maxMessageBytes, (t) => t.length === 0)
      if (clientId !== undefined && !isClientId(clientId)) throw new InvalidRequestError(`client_id: ${shown(clientId)} is not a client id (${CLIENT_ID_RULE})`)
      const allowed = deps.limiter.take(user)
      if (!allowed.ok) throw new RateLimitedError(`rate limit: at most ${deps.limiter.rate} posts per second (bursts of ${deps.limiter.burst}); retry in ${allowed.retryAfterMs} ms`, allowed.retryAfterMs)
      // a post without the client's id gets one of ours (never shown): one the mesh delivers twice
      // is stored once all the same, as the gRPC service does
      const id = clientId !== undefined ? { clientId } : { ref: randomUUID() }
      const ack = await askRoom<PostAck>(name, (replyTo) => ({ type: 'post', user, text, ...id, replyTo }))
      deps.onPosted?.()
      return ack
    },
    async ask (user, question, opts) {
      checkText('question', question, deps.maxMessageBytes, (t) => t.trim().length === 0)
      return await deps.asker.ask(user, question, { signal: opts.signal, onEvent: opts.onEvent })
    }
  }
}

/** Asks room `name`, and again when the owner that was to answer lost the room to a newer one
 * first (isSuperseded): every room message may be sent twice (a post carries an id the room
 * dedupes on; the others read). */
async function roomAsk<T> (system: ActorSystem, name: string, make: (replyTo: ReplyTo<T>) => RoomMsg): Promise<T> {
  for (let resend = 0; ; resend++) {
    try {
      return await system.entity<RoomMsg>(ROOM, name).ask<T>(make as (replyTo: ReplyTo<T>) => RoomMsg)
    } catch (err) {
      const wait = SUPERSEDED_RESEND_MS[resend]
      if (wait === undefined || !isSuperseded(err)) throw err
      await sleep(wait)
    }
  }
}

function checkRoom (value: unknown): string {
  if (!isRoomName(value)) throw new InvalidRequestError(`room: ${shown(value)} is not a room name (${ROOM_NAME_RULE})`)
  return value
}

function checkText (field: string, value: unknown, maxBytes: number, empty: (text: string) => boolean): void {
  if (typeof value !== 'string' || empty(value)) throw new InvalidRequestError(`${field}: must not be empty`)
  const bytes = Buffer.byteLength(value, 'utf8')
  if (bytes > maxBytes) throw new InvalidRequestError(`${field}: ${bytes} bytes is over the limit of ${maxBytes} bytes`)
}

/** A value as an error names it: short, never a whole payload back. */
function shown (value: unknown): string {
  return clip(JSON.stringify(value) ?? String(value), 80)
}
