import type { PagedBuckets } from './paged-buckets.ts'
import { entityTypeKey } from '../kernel/index.ts'
import type { ReplyTo } from '../kernel/index.ts'
import { MessageCheck } from './message-check.ts'

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

/** A room as the directory keeps it. */
export interface DirectoryRoom { readonly createdAt: number, readonly createdBy: string }

/**
 * The rooms by name (room names match ROOM_NAME_PATTERN, so no key is special to JavaScript), as
 * paged buckets (paged-buckets.ts): a registration costs the same at 10 rooms and at 100,000.
 * Directories written before kept one flat record, `{ rooms }` (their snapshots still may).
 */
export type RoomDirectoryState = PagedBuckets<DirectoryRoom>

/** The list of rooms: `rooms/all`, a single entity. */
export const ROOMS = entityTypeKey<RoomDirectoryMsg>('rooms')
/** The key of the one room directory. */
export const ROOM_DIRECTORY_KEY = 'all'

/** Every type of RoomDirectoryMsg (a type added to it and missing here does not compile). */
const ROOM_DIRECTORY_MSG_TYPES = Object.keys({ register: true, list: true } satisfies Record<RoomDirectoryMsg['type'], true>)

/** The room directory's EntityType.check: names are room names (the state's keys rely on it), the
 * creator a user name. */
export function checkRoomDirectoryMsg (msg: unknown): void {
  const m = new MessageCheck(msg, 'room directory message')
  switch (m.type) {
    case 'register':
      m.roomName('name')
      m.userName('by')
      m.number('ts')
      m.replyTo()
      return
    case 'list':
      m.replyTo()
      return
    default:
      m.unknownType(ROOM_DIRECTORY_MSG_TYPES)
  }
}
