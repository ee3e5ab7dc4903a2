import { PAGES, PAGE_BUCKETS } from './paged-buckets.ts'
import type { PagedBuckets } from './paged-buckets.ts'
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
  /** `clientId`: the caller's id of this add. An add of a name that exists is refused, unless the
   * user was added with the same client id: then it is a retry of an add whose answer was lost,
   * and the user takes this add's token (the lost answer's stops working). */
  | { readonly type: 'add', readonly name: string, readonly tokenHash: string, readonly clientId?: string, readonly replyTo: ReplyTo<UserSummary> }
  | { readonly type: 'remove', readonly name: string, readonly replyTo: ReplyTo<UserSummary> }
  | { readonly type: 'list', readonly replyTo: ReplyTo<UserSummary[]> }
  | { readonly type: 'get', readonly name: string, readonly replyTo: ReplyTo<UserSummary | null> }
  /** Replies with the user's name, or null for an unknown or revoked token. */
  | { readonly type: 'authenticate', readonly tokenHash: string, readonly replyTo: ReplyTo<string | null> }
  /** What changed after seq `after` (at most `limit` changes, in order), and the directory's head:
   * how every node keeps its own copy of the tokens (node/users/directory-view.ts). */
  | { readonly type: 'changes', readonly after: number, readonly limit: number, readonly replyTo: ReplyTo<DirectoryChanges> }

export type UserDirectoryEvent =
  /** Also a retried add's new token (the same name, the same clientId, `ts` its first add's). */
  | { readonly type: 'user-added', readonly name: string, readonly tokenHash: string, readonly ts: number, readonly clientId?: string }
  | { readonly type: 'user-removed', readonly name: string, readonly ts: number }

/** One change of the directory, at its journal seq. `ts` of an add: the user's createdAt (absent
 * from directories of older versions). */
export type DirectoryChange =
  | { readonly seq: number, readonly type: 'user-added', readonly name: string, readonly tokenHash: string, readonly ts?: number }
  | { readonly seq: number, readonly type: 'user-removed', readonly name: string }

export interface DirectoryChanges {
  /** The last durable seq of the directory's journal. */
  readonly head: number
  readonly changes: readonly DirectoryChange[]
}

/** Most changes one `changes` reply carries (a page must fit in a mesh frame: ~200 bytes each). */
export const DIRECTORY_CHANGES_PAGE = 1_000

/** A user as the directory keeps them. */
export interface DirectoryUser { readonly tokenHash: string, readonly createdAt: number, readonly clientId?: string }

/**
 * The users by name, as paged buckets (paged-buckets.ts: an event copies one bucket, its page and
 * the page list, whatever the number of users; the state stays an immutable value, as entity state
 * must). Token hashes are not indexed here: every node keeps its own index
 * (node/users/directory-view.ts); the directory's own `authenticate` answers by a scan, for nodes
 * that have not loaded theirs yet.
 */
export type UserDirectoryState = PagedBuckets<DirectoryUser>

export const USER_PAGES = PAGES
export { PAGE_BUCKETS }

/** The users and their token hashes: `users/all`, a single entity. */
export const USERS = entityTypeKey<UserDirectoryMsg>('users')
/** The key of the one user directory. */
export const USER_DIRECTORY_KEY = 'all'

/** A token's SHA-256 as the directory keeps it: 64 lowercase hex digits. */
export const TOKEN_HASH_PATTERN = /^[0-9a-f]{64}$/

/** Every type of UserDirectoryMsg (a type added to it and missing here does not compile). */
const USER_DIRECTORY_MSG_TYPES = Object.keys({
  add: true, remove: true, list: true, get: true, authenticate: true, changes: true
} satisfies Record<UserDirectoryMsg['type'], true>)

/** The user directory's EntityType.check: names are user names (the state's keys rely on it),
 * token hashes SHA-256 in hex. */
export function checkUserDirectoryMsg (msg: unknown): void {
  const m = new MessageCheck(msg, 'user directory message')
  switch (m.type) {
    case 'add':
      m.userName('name')
      m.matching('tokenHash', TOKEN_HASH_PATTERN, 'a SHA-256 in hex (64 of 0-9, a-f)')
      m.clientId('clientId')
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
    case 'changes':
      m.integer('after', 0, Number.MAX_SAFE_INTEGER)
      m.integer('limit', 1, DIRECTORY_CHANGES_PAGE)
      m.replyTo()
      return
    default:
      m.unknownType(USER_DIRECTORY_MSG_TYPES)
  }
}
