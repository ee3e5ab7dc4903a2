import { assertNever } from '../../protocols/index.ts'
import type { EntityType } from '../kernel/index.ts'
import { UnknownUserError, UserExistsError } from './errors.ts'
import { USERS, checkUserDirectoryMsg } from './user-directory-protocol.ts'
import type { UserDirectoryEvent, UserDirectoryMsg, UserDirectoryState, UserSummary } from './user-directory-protocol.ts'

/** The users and their token hashes: `users/all`, a single entity. */
export const userDirectory: EntityType<UserDirectoryMsg, UserDirectoryState, UserDirectoryEvent> = {
  type: USERS.type,
  role: 'chat',
  initialState: () => ({ users: {}, byToken: {} }),
  check: checkUserDirectoryMsg,
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
