import { InvalidMessageError, isActorAddress } from '../kernel/index.ts'
import type { ActorAddress, ActorRef, EntityContext, ReplyTo, Refs } from '../kernel/index.ts'
import { isUserName } from '../../protocols/index.ts'
import type { PostAck, RoomEvent, RoomFeed, RoomMsg, RoomState } from './chat-room-protocol.ts'
import type { RoomCommand, RoomPlugins } from './room-plugins.ts'
import { MAX_REQUEST_ID_LENGTH } from './user-agent-protocol.ts'

export type PostMsg = Extract<RoomMsg, { type: 'post' }>

/** A before-post verdict: the post may be stored, or it is refused with `error`. */
export type Verdict = { readonly ok: true } | { readonly ok: false, readonly error: Error }

/** A post waiting for its before-post verdicts (posts are stored in the order they came). */
export interface JudgedPost {
  readonly msg: PostMsg
  /** Its client id or ref as receipts keep it (postKey). */
  readonly key: string | undefined
  /** The command it runs once stored, when its text names one. */
  readonly command: RoomCommand | undefined
  verdict: Verdict | undefined
  /** Retries of the same post (same user and key) that came while it was judged: answered with it. */
  readonly repeats: Array<ReplyTo<PostAck>>
}

/** A command stored and waiting for its plugin's answer (answers are posted in command order). */
export interface PendingCommand {
  readonly command: RoomCommand
  /** Seq of the command's post; 0 until it is durable. */
  seq: number
  /** What the bot posts: the answer, or a short line saying why there is none; undefined while waiting. */
  answer: string | undefined
}

export interface RoomVolatile {
  /** The node's plugins, as the room type was handed them. */
  readonly plugins: RoomPlugins
  /** Subscribed gateways by `node/path` (on any node): one push per gateway, which fans out to its
   * clients. A gateway that cannot take a push is dropped; it renews its subscription and its
   * clients fetch the gap from history. */
  readonly subscribers: Map<string, ActorRef<RoomFeed>>
  /** Agents answering in this room, by request id. */
  readonly answering: Map<string, { readonly user: string, readonly inReplyTo: number }>
  /** Posts with a client id whose write is in flight, by seq: a retry of one waits for it to be
   * durable before it is acknowledged (see repeat). */
  readonly writing: Map<number, Promise<void>>
  /** Posts waiting for before-post verdicts, in arrival order. */
  readonly judged: JudgedPost[]
  /** Commands waiting for answers, in command order. */
  readonly commands: PendingCommand[]
  /** Plugins whose post-hooks entity noted this room in this activation (room-hooks.ts). */
  readonly watched: Set<string>
}

export type RoomContext = EntityContext<RoomMsg, RoomState, RoomEvent, RoomVolatile>

export function createRoomVolatile (plugins: RoomPlugins): RoomVolatile {
  return { plugins, subscribers: new Map(), answering: new Map(), writing: new Map(), judged: [], commands: [], watched: new Set() }
}

/** What of RoomVolatile a live migration carries (plain data). A room moves only when no post
 * waits for a verdict and no command for its answer (chatRoom's `busy`). */
interface MovedVolatile {
  readonly subscribers: ActorAddress[]
  /** [requestId, user, inReplyTo] */
  readonly answering: Array<[string, string, number]>
}

/** A room has a gateway per node at most, and an agent per poster answering at most. */
const MAX_MOVED_SUBSCRIBERS = 4_096
const MAX_MOVED_ANSWERING = 4_096

export function exportRoomVolatile (v: RoomVolatile): MovedVolatile {
  return {
    subscribers: [...v.subscribers.values()].map((ref) => ref.address),
    answering: [...v.answering].map(([requestId, a]) => [requestId, a.user, a.inReplyTo])
  }
}

export function importRoomVolatile (plugins: RoomPlugins, data: unknown, refs: Refs): RoomVolatile {
  const moved = checkMovedVolatile(data)
  const v = createRoomVolatile(plugins)
  for (const address of moved.subscribers) v.subscribers.set(gatewayKey(address), refs.actorAt<RoomFeed>(address))
  for (const [requestId, user, inReplyTo] of moved.answering) v.answering.set(requestId, { user, inReplyTo })
  return v
}

export function gatewayKey (address: { readonly node: string, readonly path: string }): string {
  return `${address.node}${address.path}`
}

/** The moved volatile state as it came off the wire: every field checked, or a throw. */
function checkMovedVolatile (data: unknown): MovedVolatile {
  const { subscribers, answering } = (data ?? {}) as { subscribers?: unknown, answering?: unknown }
  if (!Array.isArray(subscribers) || subscribers.length > MAX_MOVED_SUBSCRIBERS || !subscribers.every(isActorAddress)) {
    throw new InvalidMessageError(`moved room state: subscribers must be at most ${MAX_MOVED_SUBSCRIBERS} actor addresses`)
  }
  if (!Array.isArray(answering) || answering.length > MAX_MOVED_ANSWERING || !answering.every((a: unknown) => Array.isArray(a) && a.length === 3 &&
    typeof a[0] === 'string' && a[0].length > 0 && a[0].length <= MAX_REQUEST_ID_LENGTH && isUserName(a[1]) && Number.isSafeInteger(a[2]) && (a[2] as number) > 0)) {
    throw new InvalidMessageError(`moved room state: answering must be at most ${MAX_MOVED_ANSWERING} [requestId, user, seq] entries`)
  }
  return { subscribers: subscribers.map((a: ActorAddress) => ({ node: a.node, path: a.path })), answering: answering as Array<[string, string, number]> }
}
