import type { FastifyInstance } from 'fastify'
import { AGENT, ROOM } from '../../../actors/index.ts'
import type { ActorSystem } from '../../../actors/index.ts'
import { BEARER, errors, ref } from '../../../protocols/admin/index.ts'
import { sendError } from '../admin-errors.ts'
import { CoalescedReads } from '../coalesced-reads.ts'
import { backupParams, noBackups } from './backups-routes.ts'
import type { BackupsAdmin } from './backups-routes.ts'

export interface RestoresRoutesDeps {
  /** Checks the names of a room or a user to restore as their entities' keys. */
  readonly system: Pick<ActorSystem, 'entity'>
  /** Backups: the restores kept in the catalog, and restore jobs (absent: 503). */
  readonly backups?: Pick<BackupsAdmin, 'get' | 'restore' | 'restores'> | undefined
}

const restoreBody = {
  type: ['object', 'null'],
  additionalProperties: false,
  properties: {
    room: { type: 'string', minLength: 1, maxLength: 200, description: 'only this room' },
    user: { type: 'string', minLength: 1, maxLength: 200, description: 'only this user\'s agent' },
    since: { type: 'string', minLength: 1, maxLength: 40, description: 'ISO 8601: only the entities the backup holds a record of at or after this time' },
    dryRun: { type: 'boolean' }
  }
} as const

/** `/api/v1/restores` and `POST /api/v1/backups/{id}/restore`: the restores the catalog keeps, and a
 * restore of a backup (all of it, one room or one user's agent). */
export function restoresRoutes (deps: RestoresRoutesDeps) {
  return async (api: FastifyInstance): Promise<void> => {
    // a burst of listings asks the catalog (an entity, on a member of its role) once per round trip
    const listings = new CoalescedReads<Awaited<ReturnType<BackupsAdmin['restores']>>>()
    api.get('/restores', {
      schema: {
        summary: 'The restores kept in the backup catalog (the running ones, and the last 100 ended), oldest first: how far each got (cursor of total entities), on which node; a restore whose node stops is resumed from its cursor. Dry runs are not kept',
        security: BEARER,
        response: { 200: { type: 'array', items: ref('Restore') }, ...errors(401, 503) }
      }
    }, async (_request, reply) => {
      const backups = deps.backups
      if (backups === undefined) return noBackups(reply)
      return await listings.read('', async () => await backups.restores())
    })

    api.post<{ Params: { id: string }, Body: { room?: string, user?: string, since?: string, dryRun?: boolean } | undefined }>('/backups/:id/restore', {
      schema: {
        summary: 'Restore a backup (a restore job): every entity it holds, or one room, or one user\'s agent; each journal becomes the backup\'s records (what was written after it goes), the entity held still on its owner meanwhile. dryRun: nothing is written, the job lists what would change. Needs the key that made the backup',
        security: BEARER,
        params: backupParams,
        body: restoreBody,
        response: { 202: ref('Job'), ...errors(400, 401, 404, 409, 503) }
      }
    }, async (request, reply) => {
      if (deps.backups === undefined) return noBackups(reply)
      const { room, user, dryRun, since } = request.body ?? {}
      if (room !== undefined && user !== undefined) return sendError(reply, 400, 'BAD_REQUEST', 'restore one room or one user, not both (or neither: everything)')
      const sinceMs = since === undefined ? undefined : Date.parse(since)
      if (sinceMs !== undefined && (Number.isNaN(sinceMs) || !/^\d{4}-\d{2}-\d{2}/.test(since ?? ''))) return sendError(reply, 400, 'BAD_REQUEST', 'since: expected an ISO 8601 time such as 2026-11-24T09:00:00Z')
      // the names are checked as keys of their entities (InvalidNameError → 400) before a job starts
      if (room !== undefined) deps.system.entity(ROOM, room)
      if (user !== undefined) deps.system.entity(AGENT, user)
      await deps.backups.get(request.params.id)
      const selection = { ...(room !== undefined && { room }), ...(user !== undefined && { user }), ...(sinceMs !== undefined && { since: sinceMs }) }
      return reply.code(202).send(deps.backups.restore(request.params.id, selection, dryRun === true))
    })
  }
}
