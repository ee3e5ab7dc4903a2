import type { FastifyInstance } from 'fastify'
import { ROOMS, ROOM_DIRECTORY_KEY } from '../../../actors/index.ts'
import type { ActorSystem, RoomSummary } from '../../../actors/index.ts'
import { BEARER, errors, ref } from '../../../protocols/admin/index.ts'
import { CoalescedReads } from '../coalesced-reads.ts'

export interface RoomsRoutesDeps {
  readonly system: Pick<ActorSystem, 'entity' | 'entities'>
}

/** `/api/v1/rooms`: the rooms the room directory knows, and whether each is active on this node. */
export function roomsRoutes (deps: RoomsRoutesDeps) {
  return async (api: FastifyInstance): Promise<void> => {
    // a burst of reads asks the directory once per round trip (coalesced-reads.ts)
    const lists = new CoalescedReads<RoomSummary[]>()
    api.get('/rooms', {
      schema: { summary: 'Rooms that have at least one message or member', security: BEARER, response: { 200: { type: 'array', items: ref('Room') }, ...errors(401) } }
    }, async () => {
      const rooms = await lists.read('', async () => await deps.system.entity(ROOMS, ROOM_DIRECTORY_KEY).ask<RoomSummary[]>((replyTo) => ({ type: 'list', replyTo })))
      const active = new Set(deps.system.entities('room').map((e) => e.key))
      return rooms.map((r) => ({ ...r, active: active.has(r.name) }))
    })
  }
}
