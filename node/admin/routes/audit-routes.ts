import type { FastifyInstance } from 'fastify'
import type { AuditEntry, AuditRecord } from '../../../actors/index.ts'
import { BEARER, errors, ref } from '../../../protocols/admin/index.ts'
import { httpError } from '../admin-errors.ts'
import type { AdminWrites } from '../admin-writes.ts'
import { keptReads } from '../coalesced-reads.ts'
import type { AuditVerdict } from '../audit-trail.ts'

/** What the admin API asks of the audit trail (node/admin AuditTrail): the audit hook records into
 * it, these routes read it. */
export interface AuditView {
  record (entry: AuditEntry): Promise<void>
  failedAuthentication (): { record: boolean, droppedBefore: number }
  list (after: number, limit: number): Promise<AuditRecord[]>
  head (): Promise<{ seq: number, hash: string }>
  verify (): Promise<AuditVerdict>
}

export interface AuditRoutesDeps {
  /** The cluster's audit trail (absent: nothing is recorded, and the routes answer 503). */
  readonly audit?: Pick<AuditView, 'list' | 'head' | 'verify'> | undefined
  /** The writes answered through this node's admin API (each recorded in the trail before it is
   * told): each drops the kept pages. */
  readonly writes?: Pick<AdminWrites, 'watch'> | undefined
}

const auditQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    after: { type: 'integer', minimum: 0, default: 0, description: 'records with a seq above this' },
    limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 }
  }
} as const

const headSchema = { type: 'object', required: ['seq', 'hash'], properties: { seq: { type: 'integer' }, hash: { type: 'string' } } } as const

/** `/api/v1/audit`: the audit trail, page by page, and a check of its whole chain. */
export function auditRoutes (deps: AuditRoutesDeps) {
  return async (api: FastifyInstance): Promise<void> => {
    const auditOf = (): Pick<AuditView, 'list' | 'head' | 'verify'> => {
      if (deps.audit === undefined) throw httpError(503, 'UNAVAILABLE', 'this node keeps no audit trail')
      return deps.audit
    }
    // a burst of reads asks the trail once per round trip, and a page answers the reads of the next
    // ADMIN_LIST_FRESH_MS too, until a write through this node answers (keptReads; the audit hook
    // records the write before it is told of it)
    const pages = keptReads<{ records: AuditRecord[], head: { seq: number, hash: string } }>(api, deps.writes)
    api.get<{ Querystring: { after: number, limit: number } }>('/audit', {
      schema: {
        summary: 'The audit trail: every admin action and failed admin authentication on any member, oldest first, each with the hash of the one before',
        security: BEARER,
        querystring: auditQuery,
        response: {
          200: {
            type: 'object',
            required: ['records', 'head'],
            properties: {
              records: { type: 'array', items: ref('AuditRecord') },
              head: { ...headSchema, description: 'the last record\'s seq and hash: the page of the newest records is after=seq-limit' }
            }
          },
          ...errors(400, 401, 503)
        }
      }
    }, async (request) => {
      const trail = auditOf()
      const { after, limit } = request.query
      return await pages.read(`${after} ${limit}`, async () => {
        const [records, head] = await Promise.all([trail.list(after, limit), trail.head()])
        return { records, head }
      })
    })

    api.get('/audit/verify', {
      schema: {
        summary: 'Reads the whole audit trail and checks that every record follows the one before (its hash and its link): ok, or where the chain breaks',
        security: BEARER,
        response: {
          200: {
            type: 'object',
            required: ['ok', 'records', 'head', 'brokenAt', 'reason'],
            properties: {
              ok: { type: 'boolean' },
              records: { type: 'integer', description: 'records checked and found whole' },
              head: headSchema,
              brokenAt: { type: ['integer', 'null'] },
              reason: { type: ['string', 'null'] }
            }
          },
          ...errors(401, 503)
        }
      }
    }, async () => await auditOf().verify())
  }
}
