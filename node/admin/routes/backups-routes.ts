import type { FastifyInstance, FastifyReply } from 'fastify'
import { BEARER, errors, ref } from '../../../protocols/admin/index.ts'
import type { Job } from '../../../protocols/index.ts'
import { sendError } from '../admin-errors.ts'
import { CoalescedReads } from '../coalesced-reads.ts'

/** What the admin API asks of backups (node/backup BackupService). */
export interface BackupsAdmin {
  list (): Promise<unknown[]>
  get (id: string): Promise<unknown>
  create (note?: string): Job
  verify (id: string, full: boolean): Job
  restore (id: string, selection: { room?: string, user?: string, since?: number }, dryRun: boolean): Job
  remove (id: string): Promise<{ chunks: number, bytes: number }>
  restores (): Promise<unknown[]>
  sweep (dryRun: boolean): Job
}

export interface BackupsRoutesDeps {
  /** Backups: the catalog, and jobs that make and check them (absent: 503). */
  readonly backups?: Pick<BackupsAdmin, 'list' | 'get' | 'create' | 'verify' | 'remove' | 'sweep'> | undefined
}

/** A backup's id in a path: `bk-<UTC time>-<6 hex>`. */
export const backupParams = { type: 'object', required: ['id'], properties: { id: { type: 'string', pattern: '^bk-[a-z0-9-]{1,60}$' } } } as const

/** The answer of a node that keeps no backups. */
export const noBackups = (reply: FastifyReply): FastifyReply => sendError(reply, 503, 'UNAVAILABLE', 'this node keeps no backups')

/** `/api/v1/backups`: the catalog, and the jobs that make, check, remove and sweep backups (a restore
 * is restores-routes.ts). */
export function backupsRoutes (deps: BackupsRoutesDeps) {
  return async (api: FastifyInstance): Promise<void> => {
    // a burst of listings asks the catalog (an entity, on a member of its role) once per round trip
    const listings = new CoalescedReads<Awaited<ReturnType<BackupsAdmin['list']>>>()
    api.get('/backups', {
      schema: { summary: 'Every backup of the cluster (the catalog, replicated like any journal), oldest first; no key needed to list them', security: BEARER, response: { 200: { type: 'array', items: ref('Backup') }, ...errors(401, 503) } }
    }, async (_request, reply) => {
      const backups = deps.backups
      if (backups === undefined) return noBackups(reply)
      return await listings.read('', async () => await backups.list())
    })

    api.post<{ Body: { note?: string } | undefined }>('/backups', {
      schema: {
        summary: 'Start a backup (a backup job; needs a node started with --backup-key-file and a member holding the backup role): every partition at a cut, chunked, each chunk sealed under its own key and stored on backup-role members; follow it at /jobs/{id}',
        security: BEARER,
        body: { type: ['object', 'null'], additionalProperties: false, properties: { note: { type: 'string', maxLength: 1000, description: 'shown by backup ls' } } },
        response: { 202: ref('Job'), ...errors(400, 401, 503) }
      }
    }, async (request, reply) => deps.backups === undefined ? noBackups(reply) : reply.code(202).send(deps.backups.create(request.body?.note ?? '')))

    api.post<{ Body: { dryRun?: boolean } | undefined }>('/backups/sweep', {
      schema: {
        summary: 'Remove orphan chunks (a sweep job): what the backup holders keep that no backup names, such as the chunks of a failed backup. Refused (the job fails) while a backup runs, or while backups of another key exist (done, or resumable). dryRun: counts them, removes nothing',
        security: BEARER,
        body: { type: ['object', 'null'], additionalProperties: false, properties: { dryRun: { type: 'boolean' } } },
        response: { 202: ref('Job'), ...errors(400, 401, 409, 503) }
      }
    }, async (request, reply) => deps.backups === undefined ? noBackups(reply) : reply.code(202).send(deps.backups.sweep(request.body?.dryRun === true)))

    api.get<{ Params: { id: string } }>('/backups/:id', {
      schema: { summary: 'One backup as the catalog lists it', security: BEARER, params: backupParams, response: { 200: ref('Backup'), ...errors(400, 401, 404, 503) } }
    }, async (request, reply) => deps.backups === undefined ? noBackups(reply) : await deps.backups.get(request.params.id))

    api.delete<{ Params: { id: string } }>('/backups/:id', {
      schema: {
        summary: 'Remove a backup: the chunks no other backup of its key names are removed from every holder, then its manifest and its catalog entry. 409 while a backup runs',
        security: BEARER,
        params: backupParams,
        response: {
          200: { type: 'object', required: ['id', 'chunks', 'bytes'], properties: { id: { type: 'string' }, chunks: { type: 'integer', description: 'chunks removed from the holders' }, bytes: { type: 'integer', description: 'their plaintext bytes' } } },
          ...errors(400, 401, 404, 409, 503)
        }
      }
    }, async (request, reply) => deps.backups === undefined ? noBackups(reply) : { id: request.params.id, ...await deps.backups.remove(request.params.id) })

    api.post<{ Params: { id: string }, Body: { full?: boolean } | undefined }>('/backups/:id/verify', {
      schema: {
        summary: 'Check a backup (a verify job): every chunk on every holder that should keep it, against the manifest\'s digests and Merkle root; full: one copy of each chunk read back and hashed, every other challenged with a fresh nonce; else each holder re-reads and hashes its own copies',
        security: BEARER,
        params: backupParams,
        body: { type: ['object', 'null'], additionalProperties: false, properties: { full: { type: 'boolean' } } },
        response: { 202: ref('Job'), ...errors(400, 401, 404, 503) }
      }
    }, async (request, reply) => {
      if (deps.backups === undefined) return noBackups(reply)
      await deps.backups.get(request.params.id)   // UnknownBackupError → 404 before a job starts
      return reply.code(202).send(deps.backups.verify(request.params.id, request.body?.full === true))
    })
  }
}
