import { entityTypeKey } from '../kernel/index.ts'
import type { ReplyTo } from '../kernel/index.ts'

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
