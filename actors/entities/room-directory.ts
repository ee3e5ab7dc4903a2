import { assertNever } from '../../protocols/index.ts'
import type { EntityType } from '../kernel/index.ts'
import { bucketsOf, emptyBuckets, entriesOf, entryOf, isPaged, withEntry } from './paged-buckets.ts'
import { ROOMS, checkRoomDirectoryMsg } from './room-directory-protocol.ts'
import type { DirectoryRoom, RoomDirectoryEvent, RoomDirectoryMsg, RoomDirectoryState } from './room-directory-protocol.ts'

/** Snapshots of the directory are its whole room list: the next one comes after as many events
 * as the last one held rooms (at least this many), so that a snapshot's cost spread over the
 * registrations between two stays the same however many rooms there are (recovery replays at most
 * about as many events as the snapshot holds rooms). */
const DIRECTORY_SNAPSHOT_EVERY = 1_000

/** A list as answered, with the state it was made of. */
type ListedRooms = ReadonlyArray<{ readonly name: string, readonly createdAt: number, readonly createdBy: string }>

/** Registrations whose write is in flight, by room name (a repeat waits for the first); the last
 * list answered and the state it was made of (states are never changed in place: while the state
 * is that object, the list is the same, and a list is not made again by scanning every bucket, 16,384
 * of them even for no room, for each read of GET /rooms or ListRooms). */
interface DirectoryVolatile {
  readonly writing: Map<string, Promise<void>>
  listed: { readonly state: RoomDirectoryState, readonly rooms: ListedRooms } | undefined
}

/**
 * The list of rooms that exist: `rooms/all`, a single entity. Registrations are pipelined (the
 * next is handled while the last is written, so a burst of new rooms shares the journal's writes);
 * each is answered once durable, a repeat of one in flight once that is, and a list once every
 * registration it shows is durable.
 */
export const roomDirectory: EntityType<RoomDirectoryMsg, RoomDirectoryState, RoomDirectoryEvent, DirectoryVolatile> = {
  type: ROOMS.type,
  role: 'chat',
  snapshotEvery: (state) => Math.max(DIRECTORY_SNAPSHOT_EVERY, current(state).count),
  initialState: () => emptyBuckets<DirectoryRoom>(),
  applyEvent: (state, event) => withEntry(current(state), event.name, { createdAt: event.ts, createdBy: event.by }),
  check: checkRoomDirectoryMsg,
  createVolatile: () => ({ writing: new Map(), listed: undefined }),
  async receive (ctx, msg) {
    const { writing } = ctx.volatile
    const state = current(ctx.state)
    switch (msg.type) {
      case 'register': {
        if (entryOf(state, msg.name) !== undefined) {
          const first = writing.get(msg.name)
          if (first === undefined) ctx.reply(msg.replyTo, false)
          else first.then(() => { ctx.reply(msg.replyTo, false) }, (err: unknown) => { ctx.fail(msg.replyTo, err) })
          return
        }
        // a failed write crashes the directory (it recovers from its journal): the caller is told
        const written = ctx.persist({ type: 'room-created', name: msg.name, by: msg.by, ts: msg.ts })
        writing.set(msg.name, written)
        written.then(() => { ctx.reply(msg.replyTo, true) }, (err: unknown) => { ctx.fail(msg.replyTo, err) })
          .finally(() => { if (writing.get(msg.name) === written) writing.delete(msg.name) })
        return
      }
      case 'list': {
        if (writing.size > 0) {
          try {
            await Promise.all(writing.values())
          } catch (err) {
            // the write that failed crashes the directory (it recovers from its journal)
            ctx.fail(msg.replyTo, err)
            return
          }
        }
        // (the state of now: registrations handled while the writes were awaited are in it)
        const now = current(ctx.state)
        if (ctx.volatile.listed?.state !== now) {
          // frozen: every asker on this node shares it
          const rooms = Object.freeze(Array.from(entriesOf(now), ([name, room]) => Object.freeze({ name, createdAt: room.createdAt, createdBy: room.createdBy }))
            .sort((a, b) => a.name.localeCompare(b.name)))
          ctx.volatile.listed = { state: now, rooms }
        }
        ctx.reply(msg.replyTo, ctx.volatile.listed.rooms)
        return
      }
      default:
        assertNever(msg, 'room directory message')
    }
  }
}

/** The state in the current shape: a directory written before kept `{ rooms }`, rebuilt once, on
 * its first use. */
function current (state: RoomDirectoryState | { readonly rooms?: Readonly<Record<string, DirectoryRoom>> }): RoomDirectoryState {
  if (isPaged<DirectoryRoom>(state)) return state
  return bucketsOf(Object.entries((state as { rooms?: Readonly<Record<string, DirectoryRoom>> }).rooms ?? {}))
}
