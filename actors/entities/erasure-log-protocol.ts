import { entityTypeKey } from '../kernel/index.ts'
import type { ReplyTo } from '../kernel/index.ts'
import { MessageCheck } from './message-check.ts'
import type { SeqRanges } from './seq-ranges.ts'

/** A user an admin erased. */
export interface ErasedUser {
  readonly name: string
  readonly by: string
  /** ms since the epoch. */
  readonly ts: number
}

/** The whole log, as every restore applies it. */
export interface ErasureLogView {
  /** Oldest first. */
  readonly users: readonly ErasedUser[]
  /** The redacted posts of each room (single redactions; an erased user's posts are found by name). */
  readonly redactions: Readonly<Record<string, SeqRanges>>
}

export type ErasureLogMsg =
  /** Notes an erasure (before any of it is done, so that a restore meanwhile applies it). Answers
   * the entry; a user erased again gets a new entry's time. */
  | { readonly type: 'note-erasure', readonly name: string, readonly by: string, readonly replyTo: ReplyTo<ErasedUser> }
  /** Notes one redacted post (before the room journals it). */
  | { readonly type: 'note-redaction', readonly room: string, readonly seq: number, readonly replyTo: ReplyTo<void> }
  | { readonly type: 'view', readonly replyTo: ReplyTo<ErasureLogView> }

export type ErasureLogEvent =
  | { readonly type: 'user-erased', readonly name: string, readonly by: string, readonly ts: number }
  | { readonly type: 'post-redacted', readonly room: string, readonly seq: number, readonly ts: number }

export interface ErasureLogState {
  /** By name (user names match USER_NAME_PATTERN: no key is special to JavaScript). */
  readonly users: Readonly<Record<string, { readonly by: string, readonly ts: number }>>
  /** By room name. */
  readonly redactions: Readonly<Record<string, SeqRanges>>
  /** Ranges over every room (the bound below). */
  readonly ranges: number
}

/** The erasure log: `erasures/all`, a single entity, never restored from a backup (an old copy
 * would forget the erasures made since). */
export const ERASURES = entityTypeKey<ErasureLogMsg>('erasures')
/** The key of the one erasure log. */
export const ERASURE_LOG_KEY = 'all'

/** Users the log keeps: each entry is ~50 bytes, so the whole view (what a restore reads in one
 * answer) stays within a mesh frame (4 MiB) with the ranges below. */
export const MAX_ERASED_USERS = 20_000
/** Ranges of single redactions the log keeps over every room (~20 bytes each). A redaction past it
 * is refused (ErasureLogFullError): erase the user, or prune with a new backup cycle. */
export const MAX_REDACTION_RANGES = 100_000

const ERASURE_LOG_MSG_TYPES = Object.keys({ 'note-erasure': true, 'note-redaction': true, view: true } satisfies Record<ErasureLogMsg['type'], true>)

/** The erasure log's EntityType.check. */
export function checkErasureLogMsg (msg: unknown): void {
  const m = new MessageCheck(msg, 'erasure log message')
  switch (m.type) {
    case 'note-erasure':
      m.userName('name')
      m.string('by', 256)
      m.replyTo()
      return
    case 'note-redaction':
      m.roomName('room')
      m.integer('seq', 1, Number.MAX_SAFE_INTEGER)
      m.replyTo()
      return
    case 'view':
      m.replyTo()
      return
    default:
      m.unknownType(ERASURE_LOG_MSG_TYPES)
  }
}
