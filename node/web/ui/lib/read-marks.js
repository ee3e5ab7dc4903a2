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

/** The rooms to name in ListRooms' heads (at most MAX_MARKS): those read here, the one read last
 * first, then the other rooms `listed` (ListRooms' last answer), the newest first. ListRooms says
 * of each whether the user is a member (it does not list a user's rooms: past 64 rooms, the oldest
 * ones a user never read here go uncounted). */
export function headsFor (marks, listed) {
  const heads = [...marks.keys()].reverse()
  const named = new Set(heads)
  for (const r of [...listed].sort((a, b) => b.createdAt - a.createdAt)) if (!named.has(r.name)) heads.push(r.name)
  return heads.slice(0, MAX_MARKS)
}

/** What the rooms list shows beside a room: its unread count (a number) for a room read here; 'new'
 * for a room the user is a member of that this tab never read and that holds anything (the page keeps
 * no mark outside the tab, so it cannot count: it says there is something it has not shown); else
 * undefined (nothing: its last seq is unknown, or the user is not a member). */
export function unreadBadge (marks, room) {
  if (!(room.lastSeq > 0) || room.member === false) return undefined
  if (marks.has(room.name)) return unreadCount(marks, room)
  return room.member === true ? 'new' : undefined
}

/** Messages and events after the mark; undefined when the room was never read here or its last
 * seq is not known (ListRooms did not fill it). */
export function unreadCount (marks, room) {
  const read = marks.get(room.name)
  if (read === undefined || !(room.lastSeq > 0)) return undefined
  return Math.max(0, room.lastSeq - read)
}
