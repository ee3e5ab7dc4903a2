import { entityTypeKey } from '../kernel/index.ts'
import type { ReplyTo } from '../kernel/index.ts'
import { MAX_RETENTION_DAYS, MAX_RETENTION_POSTS } from './chat-room-protocol.ts'
import type { RoomRetention } from './chat-room-protocol.ts'
import { MessageCheck } from './message-check.ts'

/** A room's own retention: keep what `retention` says, or keep everything (`'forever'`), whatever
 * the cluster's default (config retention-days, retention-posts). */
export type RoomRetentionSetting = RoomRetention | 'forever'

export type RetentionPolicyMsg =
  /** `setting` null: the room follows the cluster's default again. Answers the rooms' settings. */
  | { readonly type: 'set', readonly room: string, readonly setting: RoomRetentionSetting | null, readonly replyTo: ReplyTo<RetentionSettings> }
  | { readonly type: 'get', readonly replyTo: ReplyTo<RetentionSettings> }

/** By room name: the rooms with a setting of their own. */
export type RetentionSettings = Readonly<Record<string, RoomRetentionSetting>>

export type RetentionPolicyEvent = { readonly type: 'retention-set', readonly room: string, readonly setting: RoomRetentionSetting | null, readonly ts: number }

export interface RetentionPolicyState {
  readonly rooms: RetentionSettings
}

/** The rooms' retention settings: `retention/all`, a single entity. */
export const RETENTION = entityTypeKey<RetentionPolicyMsg>('retention')
export const RETENTION_POLICY_KEY = 'all'

/** Rooms with a setting of their own: ~40 bytes each, so `get` stays far below a mesh frame. */
export const MAX_RETENTION_SETTINGS = 50_000

const RETENTION_POLICY_MSG_TYPES = Object.keys({ set: true, get: true } satisfies Record<RetentionPolicyMsg['type'], true>)

/** Whether `value` is a room's retention: days and/or posts, each a whole number in its range, at
 * least one given. */
export function isRoomRetention (value: unknown): value is RoomRetention {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false
  const { days, posts, ...rest } = value as Record<string, unknown>
  if (Object.keys(rest).length > 0 || (days === undefined && posts === undefined)) return false
  const whole = (v: unknown, max: number): boolean => v === undefined || (Number.isSafeInteger(v) && (v as number) >= 1 && (v as number) <= max)
  return whole(days, MAX_RETENTION_DAYS) && whole(posts, MAX_RETENTION_POSTS)
}

/** The retention policy's EntityType.check. */
export function checkRetentionPolicyMsg (msg: unknown): void {
  const m = new MessageCheck(msg, 'retention policy message')
  switch (m.type) {
    case 'set': {
      m.roomName('room')
      const setting = m.raw('setting')
      if (setting !== null && setting !== 'forever' && !isRoomRetention(setting)) {
        m.refuse('setting', `null, 'forever' or { days?: 1-${MAX_RETENTION_DAYS}, posts?: 1-${MAX_RETENTION_POSTS} } with at least one`)
      }
      m.replyTo()
      return
    }
    case 'get':
      m.replyTo()
      return
    default:
      m.unknownType(RETENTION_POLICY_MSG_TYPES)
  }
}
