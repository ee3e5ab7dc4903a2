import type { FastifyInstance, FastifyReply } from 'fastify'
import { RETENTION, RETENTION_POLICY_KEY } from '../../../actors/index.ts'
import type { ActorSystem, RetentionSettings, RoomRetention, RoomRetentionSetting } from '../../../actors/index.ts'
import { BEARER, errors, ref, retentionSettingSchema, retentionViewSchema, roomNameParam } from '../../../protocols/admin/index.ts'
import type { Job } from '../../../protocols/index.ts'
import { sendError } from '../admin-errors.ts'
import type { AdminWrites } from '../admin-writes.ts'
import { keptReads } from '../coalesced-reads.ts'

/** What the admin API asks of retention (node/erasure RetentionRunner and the config's default). */
export interface RetentionAdmin {
  start (): Job
  readonly defaults: () => RoomRetention | undefined
}

export interface RetentionRoutesDeps {
  readonly system: Pick<ActorSystem, 'entity'>
  /** Absent: the routes that need it answer 503. */
  readonly retention?: RetentionAdmin | undefined
  /** The writes answered through this node's admin API: each drops the kept settings. */
  readonly writes?: Pick<AdminWrites, 'watch'> | undefined
}

const noRetention = (reply: FastifyReply): FastifyReply => sendError(reply, 503, 'UNAVAILABLE', 'this node runs no retention')

/** `/api/v1/retention` and `/api/v1/rooms/:room/retention`: what each room keeps, and the job that
 * drops the rest on every replica. */
export function retentionRoutes (deps: RetentionRoutesDeps) {
  return async (api: FastifyInstance): Promise<void> => {
    // a burst of reads asks the retention entity once per round trip, and its answer answers the
    // reads of the next ADMIN_LIST_FRESH_MS too, until a write through this node answers
    // (keptReads): a setting changed here and then read is in the answer; each ask was a round trip
    // to the entity's node, which bounded the route at 50 connections / that round trip
    const reads = keptReads<RetentionSettings>(api, deps.writes)
    const settings = async (): Promise<RetentionSettings> => await reads.read('', async () => await deps.system.entity(RETENTION, RETENTION_POLICY_KEY).ask<RetentionSettings>((replyTo) => ({ type: 'get', replyTo })))

    api.get('/retention', {
      schema: { summary: 'The cluster\'s default retention (config retention-days, retention-posts; null: keep forever) and the rooms with a retention of their own', security: BEARER, response: { 200: retentionViewSchema, ...errors(401) } }
    }, async () => ({ defaults: deps.retention?.defaults() ?? null, rooms: await settings() }))

    api.put<{ Params: { room: string }, Body: { setting: RoomRetentionSetting | null } }>('/rooms/:room/retention', {
      schema: {
        summary: 'Set a room\'s own retention: { days?, posts? } (a record goes when either says so), "forever" (keep everything whatever the default), or null (follow the cluster\'s default). Records go when the retention job runs',
        security: BEARER,
        params: { type: 'object', required: ['room'], properties: { room: roomNameParam } },
        body: { type: 'object', required: ['setting'], additionalProperties: false, properties: { setting: retentionSettingSchema } },
        response: { 200: retentionViewSchema, ...errors(400, 401) }
      }
    }, async (request) => {
      const rooms = await deps.system.entity(RETENTION, RETENTION_POLICY_KEY)
        .ask<RetentionSettings>((replyTo) => ({ type: 'set', room: request.params.room, setting: request.body.setting, replyTo }))
      return { defaults: deps.retention?.defaults() ?? null, rooms }
    })

    api.post('/retention/run', {
      schema: { summary: 'Apply retention now: every room drops the records its retention no longer keeps, on every replica, and the storage nodes give the space back. A job with progress', security: BEARER, response: { 202: ref('Job'), ...errors(401, 503) } }
    }, async (_request, reply) => deps.retention === undefined ? noRetention(reply) : reply.code(202).send(deps.retention.start()))
  }
}
