import { assertNever } from '../../protocols/index.ts'
import type { EntityType } from '../kernel/index.ts'
import { ROOMS, checkRoomDirectoryMsg } from './room-directory-protocol.ts'
import type { RoomDirectoryEvent, RoomDirectoryMsg, RoomDirectoryState } from './room-directory-protocol.ts'

/** The list of rooms that exist: `rooms/all`, a single entity. */
export const roomDirectory: EntityType<RoomDirectoryMsg, RoomDirectoryState, RoomDirectoryEvent> = {
  type: ROOMS.type,
  role: 'chat',
  initialState: () => ({ rooms: {} }),
  applyEvent: (state, event) => ({ rooms: { ...state.rooms, [event.name]: { createdAt: event.ts, createdBy: event.by } } }),
  check: checkRoomDirectoryMsg,
  async receive (ctx, msg) {
    switch (msg.type) {
      case 'register':
        if (Object.hasOwn(ctx.state.rooms, msg.name)) {
          ctx.reply(msg.replyTo, false)
          return
        }
        await ctx.persist({ type: 'room-created', name: msg.name, by: msg.by, ts: msg.ts })
        ctx.reply(msg.replyTo, true)
        return
      case 'list':
        ctx.reply(msg.replyTo, Object.entries(ctx.state.rooms)
          .map(([name, room]) => ({ name, createdAt: room.createdAt, createdBy: room.createdBy }))
          .sort((a, b) => a.name.localeCompare(b.name)))
        return
      default:
        assertNever(msg, 'room directory message')
    }
  }
}
