import { assertNever } from '../../protocols/index.ts'
import type { EntityType } from '../kernel/index.ts'
import { ROOMS, checkRoomDirectoryMsg } from './room-directory-protocol.ts'
import type { RoomDirectoryEvent, RoomDirectoryMsg, RoomDirectoryState } from './room-directory-protocol.ts'

/** Registrations whose write is in flight, by room name (a repeat waits for the first). */
interface DirectoryVolatile {
  readonly writing: Map<string, Promise<void>>
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
  initialState: () => ({ rooms: {} }),
  applyEvent: (state, event) => ({ rooms: { ...state.rooms, [event.name]: { createdAt: event.ts, createdBy: event.by } } }),
  check: checkRoomDirectoryMsg,
  createVolatile: () => ({ writing: new Map() }),
  async receive (ctx, msg) {
    const { writing } = ctx.volatile
    switch (msg.type) {
      case 'register': {
        if (Object.hasOwn(ctx.state.rooms, msg.name)) {
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
        ctx.reply(msg.replyTo, Object.entries(ctx.state.rooms)
          .map(([name, room]) => ({ name, createdAt: room.createdAt, createdBy: room.createdBy }))
          .sort((a, b) => a.name.localeCompare(b.name)))
        return
      }
      default:
        assertNever(msg, 'room directory message')
    }
  }
}
