import { assertNever } from '../protocols/errors.ts'
import type { EntityType } from './entity-type.ts'
import type { ReplyTo } from './reply-to.ts'

export interface RoomSummary {
  readonly name: string
  readonly createdAt: number
  readonly createdBy: string
}

export type RoomDirectoryMsg =
  /** Replies true when the room is new. */
  | { readonly type: 'register', readonly name: string, readonly by: string, readonly ts: number, readonly replyTo: ReplyTo<boolean> }
  | { readonly type: 'list', readonly replyTo: ReplyTo<RoomSummary[]> }

export type RoomDirectoryEvent = { readonly type: 'room-created', readonly name: string, readonly by: string, readonly ts: number }

export interface RoomDirectoryState {
  /** By room name (room names match ROOM_NAME_PATTERN, so no key is special to JavaScript). */
  readonly rooms: Readonly<Record<string, { readonly createdAt: number, readonly createdBy: string }>>
}

/** The list of rooms that exist: `rooms/all`, a single entity. */
export const roomDirectory: EntityType<RoomDirectoryMsg, RoomDirectoryState, RoomDirectoryEvent> = {
  type: 'rooms',
  role: 'chat',
  initialState: () => ({ rooms: {} }),
  applyEvent: (state, event) => ({ rooms: { ...state.rooms, [event.name]: { createdAt: event.ts, createdBy: event.by } } }),
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
