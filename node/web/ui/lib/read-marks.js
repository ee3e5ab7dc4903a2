// What the user has read, per room: the last seq the page showed them in that room, kept in this
// tab's sessionStorage (as the token is: a reload keeps the unread counts, closing the tab forgets
// them). The marks of the 64 rooms read last are kept: ListRooms fills the last seq of at most 64.

const KEY = 'plexi-chat-read'
/** As the node's LIST_ROOMS_MAX_HEADS. */
export const MAX_MARKS = 64

/** The marks, oldest read first: a Map (a room may be called `constructor`). */
export function readMarks () {
  try {
    const stored = JSON.parse(sessionStorage.getItem(KEY) ?? '[]')
    return new Map(Array.isArray(stored) ? stored.filter((e) => Array.isArray(e) && typeof e[0] === 'string' && Number.isSafeInteger(e[1])) : [])
  } catch {
    return new Map()   // not ours, or cut: start again
  }
}

/** `room` read up to `seq`; the marks as they are now. */
export function markRead (room, seq) {
  const marks = readMarks()
  if ((marks.get(room) ?? 0) >= seq) return marks
  marks.delete(room)
  marks.set(room, seq)
  for (const old of marks.keys()) {
    if (marks.size <= MAX_MARKS) break
    marks.delete(old)
  }
  sessionStorage.setItem(KEY, JSON.stringify([...marks]))
  return marks
}

/** Messages and events after the mark; undefined when the room was never read here or its last
 * seq is not known (ListRooms did not fill it). */
export function unreadCount (marks, room) {
  const read = marks.get(room.name)
  if (read === undefined || !(room.lastSeq > 0)) return undefined
  return Math.max(0, room.lastSeq - read)
}
