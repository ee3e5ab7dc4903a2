import { entityTypeKey } from '../kernel/index.ts'
import type { ReplyTo } from '../kernel/index.ts'
import { MessageCheck } from './message-check.ts'

export interface UserSummary {
  readonly name: string
  readonly createdAt: number
}

/** Tokens never reach the directory: only their SHA-256 (hex), so a leaked store or journal
 * reveals no credential. */
export type UserDirectoryMsg =
  | { readonly type: 'add', readonly name: string, readonly tokenHash: string, readonly replyTo: ReplyTo<UserSummary> }
  | { readonly type: 'remove', readonly name: string, readonly replyTo: ReplyTo<UserSummary> }
  | { readonly type: 'list', readonly replyTo: ReplyTo<UserSummary[]> }
  | { readonly type: 'get', readonly name: string, readonly replyTo: ReplyTo<UserSummary | null> }
  /** Replies with the user's name, or null for an unknown or revoked token. */
  | { readonly type: 'authenticate', readonly tokenHash: string, readonly replyTo: ReplyTo<string | null> }

export type UserDirectoryEvent =
  | { readonly type: 'user-added', readonly name: string, readonly tokenHash: string, readonly ts: number }
  | { readonly type: 'user-removed', readonly name: string, readonly ts: number }

export interface UserDirectoryState {
  /** By user name (names match USER_NAME_PATTERN). */
  readonly users: Readonly<Record<string, { readonly tokenHash: string, readonly createdAt: number }>>
  /** user name by token hash (hex) */
  readonly byToken: Readonly<Record<string, string>>
}

/** The users and their token hashes: `users/all`, a single entity. */
export const USERS = entityTypeKey<UserDirectoryMsg>('users')
/** The key of the one user directory. */
export const USER_DIRECTORY_KEY = 'all'

/** A token's SHA-256 as the directory keeps it: 64 lowercase hex digits. */
export const TOKEN_HASH_PATTERN = /^[0-9a-f]{64}$/

/** Every type of UserDirectoryMsg (a type added to it and missing here does not compile). */
const USER_DIRECTORY_MSG_TYPES = Object.keys({
  add: true, remove: true, list: true, get: true, authenticate: true
} satisfies Record<UserDirectoryMsg['type'], true>)

/** The user directory's EntityType.check: names are user names (the state's keys rely on it),
 * token hashes SHA-256 in hex. */
export function checkUserDirectoryMsg (msg: unknown): void {
  const m = new MessageCheck(msg, 'user directory message')
  switch (m.type) {
    case 'add':
      m.userName('name')
      m.matching('tokenHash', TOKEN_HASH_PATTERN, 'a SHA-256 in hex (64 of 0-9, a-f)')
      m.replyTo()
      return
    case 'remove':
    case 'get':
      m.userName('name')
      m.replyTo()
      return
    case 'authenticate':
      m.matching('tokenHash', TOKEN_HASH_PATTERN, 'a SHA-256 in hex (64 of 0-9, a-f)')
      m.replyTo()
      return
    case 'list':
      m.replyTo()
      return
    default:
      m.unknownType(USER_DIRECTORY_MSG_TYPES)
  }
}
