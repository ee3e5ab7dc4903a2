import { assertNever } from '../../protocols/index.ts'
import type { EntityType } from '../kernel/index.ts'
import { UnknownUserError, UserExistsError } from './errors.ts'
import { DIRECTORY_CHANGES_PAGE, USERS, USER_BUCKETS, checkUserDirectoryMsg } from './user-directory-protocol.ts'
import type { DirectoryChange, DirectoryUser, UserDirectoryEvent, UserDirectoryMsg, UserDirectoryState, UserSummary } from './user-directory-protocol.ts'

/** Snapshots of the directory are its whole user list: taken rarely, so that adding users stays
 * cheap (recovery replays at most this many events after the last one). */
const DIRECTORY_SNAPSHOT_EVERY = 10_000

/** The users and their token hashes: `users/all`, a single entity. */
export const userDirectory: EntityType<UserDirectoryMsg, UserDirectoryState, UserDirectoryEvent> = {
  type: USERS.type,
  role: 'chat',
  snapshotEvery: DIRECTORY_SNAPSHOT_EVERY,
  initialState: () => emptyState(),
  check: checkUserDirectoryMsg,
  applyEvent (state, event) {
    const s = current(state)
    switch (event.type) {
      case 'user-added': {
        const existed = userOf(s, event.name) !== undefined
        return withBucket(s, event.name, { ...bucketOf(s, event.name), [event.name]: { tokenHash: event.tokenHash, createdAt: event.ts } }, existed ? 0 : 1)
      }
      case 'user-removed': {
        if (userOf(s, event.name) === undefined) return s
        const { [event.name]: _removed, ...rest } = bucketOf(s, event.name)
        return withBucket(s, event.name, rest, -1)
      }
      default: return assertNever(event, 'user directory event')
    }
  },
  async receive (ctx, msg) {
    const state = current(ctx.state)
    switch (msg.type) {
      case 'add': {
        if (userOf(state, msg.name) !== undefined) {
          ctx.fail(msg.replyTo, new UserExistsError(msg.name))
          return
        }
        // pipelined: the state has the user at once (a second add of the name is refused), the
        // reply waits for the write, and the next add does not, so adds share fsyncs
        const ts = Date.now()
        ctx.persist({ type: 'user-added', name: msg.name, tokenHash: msg.tokenHash, ts })
          .then(() => { ctx.reply(msg.replyTo, summary(msg.name, ts)) }, (err: unknown) => { ctx.fail(msg.replyTo, err) })
        return
      }
      case 'remove': {
        const user = userOf(state, msg.name)
        if (user === undefined) {
          ctx.fail(msg.replyTo, new UnknownUserError(msg.name))
          return
        }
        ctx.persist({ type: 'user-removed', name: msg.name, ts: Date.now() })
          .then(() => { ctx.reply(msg.replyTo, summary(msg.name, user.createdAt)) }, (err: unknown) => { ctx.fail(msg.replyTo, err) })
        return
      }
      case 'list':
        ctx.reply(msg.replyTo, state.buckets.flatMap((b) => Object.entries(b).map(([name, u]) => summary(name, u.createdAt))).sort((a, b) => a.name.localeCompare(b.name)))
        return
      case 'get': {
        const user = userOf(state, msg.name)
        ctx.reply(msg.replyTo, user === undefined ? null : summary(msg.name, user.createdAt))
        return
      }
      case 'authenticate': {
        // a scan: nodes authenticate from their own index, and ask here only before it is loaded
        for (const bucket of state.buckets) {
          for (const [name, u] of Object.entries(bucket)) {
            if (u.tokenHash === msg.tokenHash) {
              ctx.reply(msg.replyTo, name)
              return
            }
          }
        }
        ctx.reply(msg.replyTo, null)
        return
      }
      case 'changes': {
        const head = ctx.durableSeq
        const limit = Math.min(msg.limit, DIRECTORY_CHANGES_PAGE)
        const events = msg.after >= head ? [] : await ctx.events(msg.after + 1, Math.min(limit, head - msg.after))
        const changes: DirectoryChange[] = events.map((r) => r.event.type === 'user-added'
          ? { seq: r.seq, type: 'user-added', name: r.event.name, tokenHash: r.event.tokenHash }
          : { seq: r.seq, type: 'user-removed', name: r.event.name })
        ctx.reply(msg.replyTo, { head, changes })
        return
      }
      default:
        assertNever(msg, 'user directory message')
    }
  }
}

function emptyState (): UserDirectoryState {
  return { buckets: Array.from({ length: USER_BUCKETS }, () => ({})), count: 0 }
}

/** The state in the current shape: a directory written before buckets kept `{ users, byToken }`
 * (its snapshots still may); such a state is rebuilt once, on its first use. */
function current (state: UserDirectoryState | { users?: Record<string, DirectoryUser> }): UserDirectoryState {
  if (Array.isArray((state as UserDirectoryState).buckets)) return state as UserDirectoryState
  let s = emptyState()
  for (const [name, u] of Object.entries((state as { users?: Record<string, DirectoryUser> }).users ?? {})) {
    s = withBucket(s, name, { ...bucketOf(s, name), [name]: u }, 1)
  }
  return s
}

/** FNV-1a of the name: cheap, stable, and spread well enough over the buckets. */
function bucketIndex (name: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193)
  return (h >>> 0) % USER_BUCKETS
}

function bucketOf (state: UserDirectoryState, name: string): Readonly<Record<string, DirectoryUser>> {
  return state.buckets[bucketIndex(name)] ?? {}
}

function userOf (state: UserDirectoryState, name: string): DirectoryUser | undefined {
  const bucket = bucketOf(state, name)
  return Object.hasOwn(bucket, name) ? bucket[name] : undefined
}

function withBucket (state: UserDirectoryState, name: string, bucket: Readonly<Record<string, DirectoryUser>>, delta: number): UserDirectoryState {
  const buckets = state.buckets.slice()
  buckets[bucketIndex(name)] = bucket
  return { buckets, count: state.count + delta }
}

function summary (name: string, createdAt: number): UserSummary {
  return { name, createdAt }
}
