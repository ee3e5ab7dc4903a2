import { entityTypeKey } from '../kernel/index.ts'
import type { ActorAddress, ReplyTo } from '../kernel/index.ts'
import type { AgentStreamEvent } from './user-agent-protocol.ts'

/** `message` is a post; `join` and `leave` are membership changes, which share the room's
 * sequence so that history and live streams carry one ordered, gap-free series. */
export type ChatMessageKind = 'message' | 'join' | 'leave'

/** One entry of a room's history. `seq` is 1, 2, 3, ... per room, without gaps. */
export interface ChatMessage {
  readonly room: string
  readonly seq: number
  readonly user: string
  readonly text: string
  readonly ts: number
  readonly kind: ChatMessageKind
}

/** The acknowledgement of a post: given only once the message is durable. */
export interface PostAck {
  readonly room: string
  readonly seq: number
  readonly ts: number
}

export interface RoomInfo {
  readonly name: string
  /** The last durable seq. */
  readonly lastSeq: number
  readonly members: readonly string[]
  /** ms since the epoch of the room's first event; 0 for a room that has none. */
  readonly createdAt: number
}

export type RoomMsg =
  | { readonly type: 'post', readonly user: string, readonly text: string, readonly replyTo: ReplyTo<PostAck> }
  | { readonly type: 'join', readonly user: string, readonly replyTo: ReplyTo<RoomInfo> }
  | { readonly type: 'leave', readonly user: string, readonly replyTo: ReplyTo<RoomInfo> }
  | { readonly type: 'history', readonly after: number, readonly limit: number, readonly replyTo: ReplyTo<ChatMessage[]> }
  | { readonly type: 'info', readonly replyTo: ReplyTo<RoomInfo> }
  /** A gateway wants every message after the reply's lastSeq pushed to it. */
  | { readonly type: 'subscribe', readonly gateway: ActorAddress, readonly replyTo: ReplyTo<{ lastSeq: number }> }
  | { readonly type: 'unsubscribe', readonly gateway: ActorAddress }
  /** Pieces of an agent's answer to a message that mentioned @agent. */
  | AgentStreamEvent
  /** From the room to itself: the agent's answer is complete (or failed: `error`). */
  | { readonly type: 'agent-replied', readonly requestId: string, readonly text: string, readonly error?: string }

export type RoomEvent =
  | { readonly type: 'message-posted', readonly user: string, readonly text: string, readonly ts: number }
  | { readonly type: 'member-joined', readonly user: string, readonly ts: number }
  | { readonly type: 'member-left', readonly user: string, readonly ts: number }

/** A piece of an agent's answer while it is made: not journaled, live subscribers only. */
export interface AgentPartial {
  readonly room: string
  readonly requestId: string
  /** `<user>'s agent` */
  readonly user: string
  readonly text: string
  /** Seq of the message that mentioned @agent. */
  readonly inReplyTo: number
}

/** What a room pushes to each subscribed gateway: messages in seq order once durable, and the
 * pieces of agents' answers as they are made. */
export type RoomFeed =
  | { readonly type: 'room-message', readonly message: ChatMessage }
  | { readonly type: 'agent-partial', readonly partial: AgentPartial }

export interface RoomState {
  readonly createdAt: number
  /** Sorted. */
  readonly members: readonly string[]
}

/** A room message mentioning this is answered by the poster's agent. */
export const AGENT_MENTION = /(^|[^\w@])@agent\b/i

/** How a user's agent is named in rooms. */
export function agentDisplayName (user: string): string {
  return `${user}'s agent`
}

/** Chat rooms: `room/<name>`. */
export const ROOM = entityTypeKey<RoomMsg>('room')
