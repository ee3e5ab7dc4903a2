import { assertNever } from '../../protocols/index.ts'
import type { EntityType } from '../kernel/index.ts'
import { UnknownUserError, UserExistsError } from './errors.ts'
import { bucketsOf, emptyBuckets, entriesOf, entryOf, findEntry, isPaged, withEntry, withoutEntry } from './paged-buckets.ts'
import { DIRECTORY_CHANGES_PAGE, USERS, checkUserDirectoryMsg } from './user-directory-protocol.ts'
import type { DirectoryChange, DirectoryUser, UserDirectoryEvent, UserDirectoryMsg, UserDirectoryState, UserSummary } from './user-directory-protocol.ts'

/** Snapshots of the directory are its whole user list: the next one comes after as many events
 * as the last one held users (at least this many), so that a snapshot's cost spread over the adds
 * between two stays the same however many users there are (10,000, 20,000, 40,000, …; recovery
 * replays at most about as many events as the snapshot holds users). */
const DIRECTORY_SNAPSHOT_EVERY = 10_000

/** The users and their token hashes: `users/all`, a single entity. */
export const userDirectory: EntityType<UserDirectoryMsg, UserDirectoryState, UserDirectoryEvent> = {
  type: USERS.type,
  role: 'chat',
  snapshotEvery: (state) => Math.max(DIRECTORY_SNAPSHOT_EVERY, current(state).count),
  initialState: () => emptyBuckets<DirectoryUser>(),
  check: checkUserDirectoryMsg,
  applyEvent (state, event) {
    const s = current(state)
    switch (event.type) {
      case 'user-added': {
        const user: DirectoryUser = { tokenHash: event.tokenHash, createdAt: event.ts, ...(event.clientId !== undefined && { clientId: event.clientId }) }
        return withEntry(s, event.name, user)
      }
      case 'user-removed':
        return withoutEntry(s, event.name)
      default: return assertNever(event, 'user directory event')
    }
  },
  async receive (ctx, msg) {
    const state = current(ctx.state)
    switch (msg.type) {
      case 'add': {
        const existing = userOf(state, msg.name)
        if (existing !== undefined && (msg.clientId === undefined || existing.clientId !== msg.clientId)) {
          ctx.fail(msg.replyTo, new UserExistsError(msg.name))
          return
        }
        // (the same client id: a retry of an add whose answer was lost, which may have been
        // stored; the user takes this try's token, which its caller will see, and keeps its time)
        // pipelined: the state has the user at once (a second add of the name is refused), the
        // reply waits for the write, and the next add does not, so adds share fsyncs
        const ts = existing?.createdAt ?? Date.now()
        ctx.persist({ type: 'user-added', name: msg.name, tokenHash: msg.tokenHash, ts, ...(msg.clientId !== undefined && { clientId: msg.clientId }) })
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
        ctx.reply(msg.replyTo, Array.from(entriesOf(state), ([name, u]) => summary(name, u.createdAt)).sort((a, b) => a.name.localeCompare(b.name)))
        return
      case 'get': {
        const user = userOf(state, msg.name)
        ctx.reply(msg.replyTo, user === undefined ? null : summary(msg.name, user.createdAt))
        return
      }
      case 'authenticate': {
        // a scan: nodes authenticate from their own index, and ask here only before it is loaded
        ctx.reply(msg.replyTo, findEntry(state, (u) => u.tokenHash === msg.tokenHash)?.[0] ?? null)
        return
      }
      case 'changes': {
        const head = ctx.durableSeq
        const limit = Math.min(msg.limit, DIRECTORY_CHANGES_PAGE)
        const events = msg.after >= head ? [] : await ctx.events(msg.after + 1, Math.min(limit, head - msg.after))
        const changes: DirectoryChange[] = events.map((r) => r.event.type === 'user-added'
          ? { seq: r.seq, type: 'user-added', name: r.event.name, tokenHash: r.event.tokenHash, ts: r.event.ts }
          : { seq: r.seq, type: 'user-removed', name: r.event.name })
        ctx.reply(msg.replyTo, { head, changes })
        return
      }
      default:
        assertNever(msg, 'user directory message')
    }
  }
}

type OlderState = { users?: Record<string, DirectoryUser>, buckets?: ReadonlyArray<Record<string, DirectoryUser>> }

/** The state in the current shape. Directories written before kept `{ users, byToken }`, then
 * `{ buckets, count }` (their snapshots still may): such a state is rebuilt once, on its first use. */
function current (state: UserDirectoryState | OlderState): UserDirectoryState {
  if (isPaged<DirectoryUser>(state)) return state
  const old = state as OlderState
  return bucketsOf(Array.isArray(old.buckets) ? old.buckets.flatMap((b) => Object.entries(b)) : Object.entries(old.users ?? {}))
}

function userOf (state: UserDirectoryState, name: string): DirectoryUser | undefined {
  return entryOf(state, name)
}

function summary (name: string, createdAt: number): UserSummary {
  return { name, createdAt }
}
