import { MAX_CHAT_TEXT_BYTES, MAX_HISTORY_LIMIT, SOURCE_NAME_PATTERN } from '../../protocols/index.ts'
import { entityTypeKey } from '../kernel/index.ts'
import type { ActorAddress, ReplyTo } from '../kernel/index.ts'
import { MessageCheck } from './message-check.ts'
import { MAX_READER_LENGTH } from './constants.ts'
import { checkExportPage, checkImportBatch } from './transfer-protocol.ts'
import type { ExportHead, ImportOutcome, TransferPage } from './transfer-protocol.ts'
import type { ImportItem, ImportedFrom } from '../../protocols/index.ts'
import { MAX_REQUEST_ID_LENGTH, checkAgentStreamEvent } from './user-agent-protocol.ts'
import type { AgentStreamEvent } from './user-agent-protocol.ts'
import type { SeqRanges } from './seq-ranges.ts'

/** `message` is a post; `join` and `leave` are membership changes, and `redaction` a post's text
 * withdrawn (its `redacts` names the post): all share the room's sequence so that history and live
 * streams carry one ordered, gap-free series. */
export type ChatMessageKind = 'message' | 'join' | 'leave' | 'redaction'

/** One entry of a room's history. `seq` is 1, 2, 3, ... per room, without gaps. */
export interface ChatMessage {
  readonly room: string
  readonly seq: number
  readonly user: string
  readonly text: string
  readonly ts: number
  readonly kind: ChatMessageKind
  /** The id its poster's client gave the post (see `post`); absent when it gave none. */
  readonly clientId?: string
  /** A post that was redacted: its text is '' whatever a replica still holds. Absent otherwise. */
  readonly redacted?: true
  /** A `redaction`: the seq of the post it withdrew (its `user` is who redacted it). */
  readonly redacts?: number
  /** An imported post: where it came from, its author and time there (`user` imported it). */
  readonly importedFrom?: ImportedFrom
}

/** The answer to `redact`: the post `seq` is redacted, by the event at `redactionSeq` (`already`:
 * it was redacted before this request, nothing was written). */
export interface RedactAck {
  readonly room: string
  readonly seq: number
  readonly redactionSeq: number
  readonly ts: number
  readonly already: boolean
}

/** The answer to `erase-user`, once the stored posts are rewritten without their text on W
 * replicas: how many posts of the user this room redacted now (`redacted`) and had redacted before
 * (`already`). */
export interface EraseAck {
  readonly room: string
  readonly redacted: number
  readonly already: number
}

/** What a room keeps: posts younger than `days`, and the last `posts` posts (both when both are
 * given: a record goes when either says so). */
export interface RoomRetention {
  readonly days?: number
  readonly posts?: number
}

/** The answer to `apply-retention`: the room's journal starts at `floor` now. */
export interface RetentionAck {
  readonly room: string
  readonly floor: number
  /** Records dropped by this call. */
  readonly dropped: number
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
  /** The first seq the room still holds (retention dropped those below); 1 until trimmed. */
  readonly floor?: number
}

export type RoomMsg =
  /**
   * `clientId`: the poster's client's own id for this post (protocols/limits.ts CLIENT_ID_PATTERN),
   * so that a retry is not stored twice: a post whose (user, clientId) the room has seen is answered
   * with the first post's ack and journals nothing (the text is not compared). Ids are the user's
   * own: another user's post with the same id is another post. Kept for the user's last
   * RECENT_POST_IDS_PER_USER posts with an id, and for the RECENT_POSTERS users who posted with one
   * most recently.
   *
   * `ref`: the gateway's own id for a post whose client gave none (a client id, CLIENT_ID_PATTERN),
   * kept and matched as client ids are but never shown: a post the mesh delivers twice (the messages
   * that waited for a live move are sent again when the new owner failed before it answered, and
   * it may have taken them) is stored once. A post has a client id or a ref, not both.
   */
  | { readonly type: 'post', readonly user: string, readonly text: string, readonly clientId?: string, readonly ref?: string, readonly replyTo: ReplyTo<PostAck> }
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
  /** From the room to itself: a post's before-post verdicts came; store or refuse the posts whose
   * turn it is (harmless from anyone else: it settles only what has its verdicts). */
  | { readonly type: 'post-judged' }
  /** From the room to itself: a command's answer came; post the answers whose turn it is. */
  | { readonly type: 'command-answered' }
  /** From a plugin's post-hooks entity: it sent every post up to `seq`; is there more? */
  | { readonly type: 'hooks-idle', readonly plugin: string, readonly seq: number }
  /** Withdraws post `seq`'s text: `user`'s own post (or their agent's answer), or anyone's when
   * `admin` (the admin API's, never a chat client's). Idempotent: a redacted post answers `already`. */
  | { readonly type: 'redact', readonly user: string, readonly seq: number, readonly admin?: boolean, readonly replyTo: ReplyTo<RedactAck> }
  /** An admin's erasure of `user`: every post of theirs (and of their agent) in this room redacted
   * at once, by `by`, and scrubbed from the stored records. */
  | { readonly type: 'erase-user', readonly user: string, readonly by: string, readonly replyTo: ReplyTo<EraseAck> }
  /** Drops the records that `retention` no longer keeps at time `now` (ms since the epoch). */
  | { readonly type: 'apply-retention', readonly retention: RoomRetention, readonly now: number, readonly replyTo: ReplyTo<RetentionAck> }
  /** Where an export may read the room (room-transfer.ts): its head, its redacted posts, and how
   * much of it node `reader` holds in its own replica. */
  | { readonly type: 'export-head', readonly reader: string, readonly replyTo: ReplyTo<ExportHead> }
  /** A page of the journal as stored, for an export (room-transfer.ts). */
  | { readonly type: 'export-page', readonly after: number, readonly limit: number, readonly json?: boolean, readonly replyTo: ReplyTo<TransferPage<RoomEvent>> }
  /** Posts of another export, appended in one write past the source's watermark, `user` their poster
   * of record (room-transfer.ts); `dryRun`: only say what would be added. */
  | { readonly type: 'import', readonly user: string, readonly source: string, readonly posts: readonly ImportItem[], readonly dryRun?: boolean, readonly replyTo: ReplyTo<ImportOutcome> }

export type RoomEvent =
  /** `redacted`: the post as a redaction rewrote it in the store (its text '' then). `importedFrom`:
   * an imported post's origin (room-transfer.ts). */
  | { readonly type: 'message-posted', readonly user: string, readonly text: string, readonly ts: number, readonly clientId?: string, readonly ref?: string, readonly redacted?: { readonly by: string, readonly ts: number }, readonly importedFrom?: ImportedFrom }
  | { readonly type: 'member-joined', readonly user: string, readonly ts: number }
  | { readonly type: 'member-left', readonly user: string, readonly ts: number }
  /** Post `seq` withdrawn by `by` (its author, or an admin). */
  | { readonly type: 'message-redacted', readonly seq: number, readonly by: string, readonly ts: number }

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
  /** The room's activation that took this gateway's subscription lost the room to a newer owner:
   * subscribe again (the newer owner has no subscribers of its own yet). */
  | { readonly type: 'room-moved', readonly room: string }

export interface RoomState {
  readonly createdAt: number
  /** Sorted. */
  readonly members: readonly string[]
  /**
   * The acks of recent posts that carried a client id, by user (oldest first), the user who posted
   * with one least recently first: what a retried post is answered with. Rebuilt from the journal
   * (the ids are in `message-posted`), so it holds after a restart or a move to another node.
   * Absent in a state from a snapshot taken before posts had ids.
   */
  readonly recentPosts?: Readonly<Record<string, readonly PostReceipt[]>>
  /** Seqs of the redacted posts (SeqRanges): every read hides their text, even a stale replica's.
   * Absent in a state from a snapshot taken before redaction existed. */
  readonly redacted?: SeqRanges
  /** Who ever posted here (room-posters.ts): an erasure skips a room its user never posted in.
   * Absent in a state from a snapshot taken before posters were kept (every erasure reads it). */
  readonly posters?: readonly string[] | null
  /** The highest source seq imported from each source (absent: none imported). */
  readonly imported?: Readonly<Record<string, number>>
}

/** What a room remembers of a post that carried a client id (or a gateway's ref: postKey). */
export interface PostReceipt {
  readonly clientId: string
  readonly seq: number
  readonly ts: number
}

/** Client ids a room keeps per user: a retry is recognised as long as its user has made fewer than
 * this many posts with an id since. A client retries the few posts it has not seen acknowledged. */
export const RECENT_POST_IDS_PER_USER = 8
/** Users whose client ids a room keeps: the one who posted with an id least recently is forgotten
 * first. With RECENT_POST_IDS_PER_USER it bounds the table (and the room's snapshots) to 2048 ids. */
export const RECENT_POSTERS = 256

/** Longest retention in days a room may be given: a century (beyond it, keep forever: no retention). */
export const MAX_RETENTION_DAYS = 36_500
/** Most posts a room may be told to keep: beyond a billion, keep forever. */
export const MAX_RETENTION_POSTS = 1_000_000_000

/** The key a post's receipt is kept under: its client id, or its ref (a space first: a client id
 * has no space, so the two never meet); undefined for a post with neither. */
export function postKey (post: { readonly clientId?: string, readonly ref?: string }): string | undefined {
  return post.clientId ?? (post.ref === undefined ? undefined : ` ${post.ref}`)
}

/** A room message mentioning this is answered by the poster's agent. */
export const AGENT_MENTION = /(^|[^\w@])@agent\b/i

/** How a user's agent is named in rooms. */
export function agentDisplayName (user: string): string {
  return `${user}'s agent`
}

/** Chat rooms: `room/<name>`. */
export const ROOM = entityTypeKey<RoomMsg>('room')

const PLUGIN_NAME = new RegExp(SOURCE_NAME_PATTERN)

/** Every type of RoomMsg (a type added to RoomMsg and missing here does not compile). */
const ROOM_MSG_TYPES = Object.keys({
  post: true, join: true, leave: true, history: true, info: true, subscribe: true, unsubscribe: true, 'agent-stream': true, 'agent-replied': true,
  'post-judged': true, 'command-answered': true, 'hooks-idle': true, redact: true, 'erase-user': true, 'apply-retention': true,
  'export-head': true, 'export-page': true, import: true
} satisfies Record<RoomMsg['type'], true>)

/**
 * The room's EntityType.check: throws InvalidMessageError naming the first field of `msg` that is
 * not what RoomMsg says. Users are user names and texts within MAX_CHAT_TEXT_BYTES, as the gRPC
 * server lets them in (a node's own text limit is lower; a room cannot know its peers').
 */
export function checkRoomMsg (msg: unknown): void {
  const m = new MessageCheck(msg, 'room message')
  switch (m.type) {
    case 'post':
      m.userName('user')
      m.text('text', MAX_CHAT_TEXT_BYTES)
      if (m.clientId('clientId') !== undefined && m.raw('ref') !== undefined) m.refuse('ref', 'absent when the post has a client id')
      m.clientId('ref')
      m.replyTo()
      return
    case 'join':
    case 'leave':
      m.userName('user')
      m.replyTo()
      return
    case 'history':
      m.integer('after', 0, Number.MAX_SAFE_INTEGER)
      m.integer('limit', 1, MAX_HISTORY_LIMIT)
      m.replyTo()
      return
    case 'info':
      m.replyTo()
      return
    case 'subscribe':
      m.address('gateway')
      m.replyTo()
      return
    case 'unsubscribe':
      m.address('gateway')
      return
    case 'agent-stream':
      checkAgentStreamEvent(m)
      return
    case 'agent-replied':
      m.string('requestId', MAX_REQUEST_ID_LENGTH)
      // a whole answer: as long as the agent's token limit made it (the frame limit bounds it)
      m.string('text', Number.MAX_SAFE_INTEGER, 0)
      if (m.raw('error') !== undefined) m.string('error', MAX_CHAT_TEXT_BYTES, 0)
      return
    case 'post-judged':
    case 'command-answered':
      return
    case 'hooks-idle':
      m.matching('plugin', PLUGIN_NAME, `a plugin name (${SOURCE_NAME_PATTERN})`)
      m.integer('seq', 0, Number.MAX_SAFE_INTEGER)
      return
    case 'redact':
      m.userName('user')
      m.integer('seq', 1, Number.MAX_SAFE_INTEGER)
      if (m.raw('admin') !== undefined && typeof m.raw('admin') !== 'boolean') m.refuse('admin', 'true, false or absent')
      m.replyTo()
      return
    case 'erase-user':
      m.userName('user')
      m.string('by', 256)
      m.replyTo()
      return
    case 'apply-retention': {
      const retention = m.object('retention')
      if (retention.raw('days') !== undefined) retention.integer('days', 1, MAX_RETENTION_DAYS)
      if (retention.raw('posts') !== undefined) retention.integer('posts', 1, MAX_RETENTION_POSTS)
      m.number('now')
      m.replyTo()
      return
    }
    case 'export-head':
      m.string('reader', MAX_READER_LENGTH)
      m.replyTo()
      return
    case 'export-page':
      checkExportPage(m)
      return
    case 'import':
      m.userName('user')
      checkImportBatch(m, 'posts')
      return
    default:
      m.unknownType(ROOM_MSG_TYPES)
  }
}

/**
 * Checks a RoomFeed push as it arrives from another node (a gateway's `checkPeer`): a room's
 * message or a piece of an agent's answer, field by field. A gateway's other messages hold live
 * objects of its own node and never come from a peer.
 */
export function checkRoomFeed (msg: unknown): void {
  const m = new MessageCheck(msg, 'room feed')
  switch (m.type) {
    case 'room-message': {
      const message = m.object('message')
      message.roomName('room')
      message.integer('seq', 0, Number.MAX_SAFE_INTEGER)
      // a user's name, or an agent's display name (`<user>'s agent`)
      message.string('user', 256)
      // a whole answer of an agent may be longer than a post (the frame limit bounds it)
      message.string('text', Number.MAX_SAFE_INTEGER, 0)
      message.number('ts')
      message.oneOf('kind', ['message', 'join', 'leave', 'redaction'])
      message.clientId('clientId')
      if (message.raw('redacted') !== undefined && message.raw('redacted') !== true) message.refuse('redacted', 'true or absent')
      if (message.raw('redacts') !== undefined) message.integer('redacts', 1, Number.MAX_SAFE_INTEGER)
      return
    }
    case 'agent-partial': {
      const partial = m.object('partial')
      partial.roomName('room')
      partial.string('requestId', MAX_REQUEST_ID_LENGTH)
      partial.string('user', 256)
      partial.string('text', Number.MAX_SAFE_INTEGER, 0)
      partial.integer('inReplyTo', 0, Number.MAX_SAFE_INTEGER)
      return
    }
    case 'room-moved':
      m.roomName('room')
      return
    default:
      m.unknownType(['room-message', 'agent-partial', 'room-moved'])
  }
}
