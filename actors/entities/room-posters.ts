import { agentDisplayName } from './chat-room-protocol.ts'
import type { RoomState } from './chat-room-protocol.ts'

/**
 * Who ever posted in a room, as its state keeps them: sorted names (a post's `user`, an imported
 * post's original author), or null once more than MAX_ROOM_POSTERS did (then nobody is ruled out).
 * An erasure asks every room of the cluster; a room its user never posted in answers at once
 * instead of reading its whole journal.
 */
export type RoomPosters = NonNullable<RoomState['posters']> | null

/** Names a room keeps before it stops telling (~20 bytes each in its snapshots: 80 KiB at most). */
export const MAX_ROOM_POSTERS = 4_096

function indexOf (names: readonly string[], name: string): number {
  let lo = 0
  let hi = names.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if ((names[mid] as string) < name) lo = mid + 1
    else hi = mid
  }
  return lo
}

/** The posters with `name` added (the same array when it is there, or when they are not kept). */
export function notePoster (posters: RoomPosters | undefined, name: string): RoomPosters {
  if (posters === null || posters === undefined) return null
  const i = indexOf(posters, name)
  if (posters[i] === name) return posters
  if (posters.length >= MAX_ROOM_POSTERS) return null
  const next = posters.slice()
  next.splice(i, 0, name)
  return next
}

/** Whether `user` (or their agent) may have posted in the room: false only when the room knows
 * every poster and they are not among them. Absent (a state from before posters were kept): may. */
export function mayHavePosted (posters: RoomPosters | undefined, user: string): boolean {
  if (posters === null || posters === undefined) return true
  return posters[indexOf(posters, user)] === user || posters[indexOf(posters, agentDisplayName(user))] === agentDisplayName(user)
}
