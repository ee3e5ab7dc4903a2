/**
 * Names that reach the system from clients and admins. Lowercase only, so that "Alice" and
 * "alice" can never be two users; the first character is fixed so that names never look like
 * options, paths or generated ids.
 */

/** User names: 1–32 of a-z, 0-9, '_', '-', starting with a letter. */
export const USER_NAME_PATTERN = /^[a-z][a-z0-9_-]{0,31}$/
export const USER_NAME_RULE = '1-32 characters of a-z, 0-9, _ and -, starting with a letter'

/** Room names: 1–64 of a-z, 0-9, '.', '_', '-', starting with a letter or digit. */
export const ROOM_NAME_PATTERN = /^[a-z0-9][a-z0-9._-]{0,63}$/
export const ROOM_NAME_RULE = '1-64 characters of a-z, 0-9, ., _ and -, starting with a letter or digit'

export function isUserName (value: unknown): value is string {
  return typeof value === 'string' && USER_NAME_PATTERN.test(value)
}

export function isRoomName (value: unknown): value is string {
  return typeof value === 'string' && ROOM_NAME_PATTERN.test(value)
}
