import { assertNever } from '../protocols/errors.ts'
import { UnknownUserError, UserExistsError } from './errors.ts'
import type { EntityType } from './entity-type.ts'
import type { ReplyTo } from './reply-to.ts'

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
export const userDirectory: EntityType<UserDirectoryMsg, UserDirectoryState, UserDirectoryEvent> = {
  type: 'users',
  role: 'chat',
  initialState: () => ({ users: {}, byToken: {} }),
  applyEvent (state, event) {
    switch (event.type) {
      case 'user-added':
        return {
          users: { ...state.users, [event.name]: { tokenHash: event.tokenHash, createdAt: event.ts } },
          byToken: { ...state.byToken, [event.tokenHash]: event.name }
        }
      case 'user-removed': {
        const { [event.name]: removed, ...users } = state.users
        if (removed === undefined) return state
        const { [removed.tokenHash]: _revoked, ...byToken } = state.byToken
        return { users, byToken }
      }
      default: return assertNever(event, 'user directory event')
    }
  },
  async receive (ctx, msg) {
    const users = ctx.state.users
    switch (msg.type) {
      case 'add':
        if (Object.hasOwn(users, msg.name)) {
          ctx.fail(msg.replyTo, new UserExistsError(msg.name))
          return
        }
        await ctx.persist({ type: 'user-added', name: msg.name, tokenHash: msg.tokenHash, ts: Date.now() })
        ctx.reply(msg.replyTo, summary(msg.name, ctx.state.users[msg.name]?.createdAt ?? 0))
        return
      case 'remove': {
        const user = Object.hasOwn(users, msg.name) ? users[msg.name] : undefined
        if (user === undefined) {
          ctx.fail(msg.replyTo, new UnknownUserError(msg.name))
          return
        }
        await ctx.persist({ type: 'user-removed', name: msg.name, ts: Date.now() })
        ctx.reply(msg.replyTo, summary(msg.name, user.createdAt))
        return
      }
      case 'list':
        ctx.reply(msg.replyTo, Object.entries(users).map(([name, u]) => summary(name, u.createdAt)).sort((a, b) => a.name.localeCompare(b.name)))
        return
      case 'get': {
        const user = Object.hasOwn(users, msg.name) ? users[msg.name] : undefined
        ctx.reply(msg.replyTo, user === undefined ? null : summary(msg.name, user.createdAt))
        return
      }
      case 'authenticate':
        ctx.reply(msg.replyTo, Object.hasOwn(ctx.state.byToken, msg.tokenHash) ? ctx.state.byToken[msg.tokenHash] ?? null : null)
        return
      default:
        assertNever(msg, 'user directory message')
    }
  }
}

function summary (name: string, createdAt: number): UserSummary {
  return { name, createdAt }
}
