import type { FastifyInstance, FastifyReply } from 'fastify'
import { ROOM } from '../../../actors/index.ts'
import type { ActorSystem, RedactAck } from '../../../actors/index.ts'
import { BEARER, errors, redactAckSchema, ref, roomNameParam, userNameParam } from '../../../protocols/admin/index.ts'
import type { Job } from '../../../protocols/index.ts'
import { sendError } from '../admin-errors.ts'
import { principalOf, recordBodyAs } from '../request-identity.ts'
import { MAX_SCAN_TEXT_BYTES } from '../../erasure/index.ts'

/** What the admin API asks of erasure (node/erasure UserErasure). */
export interface ErasureAdmin {
  start (name: string, by: string): Job
}

export interface ErasureRoutesDeps {
  readonly system: Pick<ActorSystem, 'entity'>
  /** Absent: the erase route answers 503. */
  readonly erasure?: ErasureAdmin | undefined
  /** Reads this node's store for a text (node/erasure scanStore; absent: the scan route answers 503). */
  readonly scanStore?: ((text: string) => Promise<{ holding: number, scanned: number }>) | undefined
}

/** The name an admin request acts as in rooms and logs: `admin`, or a named token's name. */
function actorOf (request: Parameters<typeof principalOf>[0]): string {
  const actor = principalOf(request)?.actor ?? 'admin'
  return actor.startsWith('token:') ? actor.slice('token:'.length) : actor
}

const noErasure = (reply: FastifyReply): FastifyReply => sendError(reply, 503, 'UNAVAILABLE', 'this node runs no erasures')

/** `POST /api/v1/users/:name/erase` (a job) and `POST /api/v1/rooms/:room/redact` (any post, as an admin). */
export function erasureRoutes (deps: ErasureRoutesDeps) {
  return async (api: FastifyInstance): Promise<void> => {
    api.post<{ Params: { name: string } }>('/users/:name/erase', {
      schema: {
        summary: 'Erase a user: tokens revoked, every post of theirs redacted in every room and its text removed from every replica, their agent\'s conversation, settings and KV caches deleted; noted in the erasure log that every restore applies. A job with progress; running it again finishes what a failed run left',
        security: BEARER,
        params: { type: 'object', required: ['name'], properties: { name: userNameParam } },
        response: { 202: ref('Job'), ...errors(400, 401, 503) }
      }
    }, async (request, reply) => deps.erasure === undefined ? noErasure(reply) : reply.code(202).send(deps.erasure.start(request.params.name, actorOf(request))))

    api.post<{ Body: { text: string } }>('/storage/scan', {
      schema: {
        summary: 'Read every value of this node\'s store (records, snapshots, states), straight from LevelDB and not through any entity, for a text: proves that an erased user\'s text is on no replica here (ask each node). Reads the whole store: seconds for millions of records',
        security: BEARER,
        body: { type: 'object', required: ['text'], additionalProperties: false, properties: { text: { type: 'string', minLength: 4, maxLength: MAX_SCAN_TEXT_BYTES } } },
        response: { 200: { type: 'object', required: ['holding', 'scanned'], properties: { holding: { type: 'integer', description: 'values holding the text' }, scanned: { type: 'integer', description: 'values read' } } }, ...errors(400, 401, 503) }
      },
      // before validation, so that a scan refused is recorded without its text as well: the text
      // looked for is the very text being erased, and the audit trail must not keep it
      preValidation: async (request) => { recordBodyAs(request, { text: '(not recorded)' }) }
    }, async (request, reply) => {
      if (deps.scanStore === undefined) return await sendError(reply, 503, 'UNAVAILABLE', 'this node has no store to scan')
      return await deps.scanStore(request.body.text)
    })

    api.post<{ Params: { room: string }, Body: { seq: number } }>('/rooms/:room/redact', {
      schema: {
        summary: 'Redact any post of a room: the room journals a redaction (subscribers get it), history shows the post without its text, and the text is removed from every replica. A post redacted already answers already: true',
        security: BEARER,
        params: { type: 'object', required: ['room'], properties: { room: roomNameParam } },
        body: { type: 'object', required: ['seq'], additionalProperties: false, properties: { seq: { type: 'integer', minimum: 1 } } },
        response: { 200: redactAckSchema, ...errors(400, 401, 404) }
      }
    }, async (request) => {
      const user = actorOf(request)
      return await deps.system.entity(ROOM, request.params.room).ask<RedactAck>((replyTo) => ({ type: 'redact', user, seq: request.body.seq, admin: true, replyTo }))
    })
  }
}
