import type { FastifyInstance } from 'fastify'
import { BEARER, errors, ref } from '../../../protocols/admin/index.ts'
import type { ScrubRow, StorageNodeRow } from '../../../protocols/index.ts'
import type { AdminWrites } from '../admin-writes.ts'
import { keptReads } from '../coalesced-reads.ts'

/** What the admin API asks of replication of the storage nodes and their scrub (node/replication ReplicationAdmin). */
export interface StorageView {
  scrub?: ((start: boolean) => Promise<ScrubRow[]>) | undefined
  storageNodes?: (() => Promise<StorageNodeRow[]>) | undefined
}

export interface StorageRoutesDeps {
  /** The storage nodes (absent: the routes answer with none). */
  readonly replication?: StorageView | undefined
  /** The writes answered through this node's admin API: each drops the kept listings. */
  readonly writes?: Pick<AdminWrites, 'watch'> | undefined
}

/** `/api/v1/storage` and `/api/v1/scrub`: the storage nodes (active, leaving, replaced) and the scrub
 * that re-reads what they hold. */
export function storageRoutes (deps: StorageRoutesDeps) {
  return async (api: FastifyInstance): Promise<void> => {
    // a burst of reads asks every member once per round trip, and a gather answers the reads of
    // the next ADMIN_LIST_FRESH_MS too, until a write through this node (a drain, a scrub started)
    // answers (keptReads): each gather is a round trip to every member, which bounded the route
    const storage = keptReads<StorageNodeRow[]>(api, deps.writes)
    const scrub = keptReads<ScrubRow[]>(api, deps.writes)
    api.get('/storage', {
      schema: {
        summary: 'The storage nodes this node knows: active ones (placement chooses among them) and leaving ones (they lost the storage role) with their hand-off; a leaving node whose hand-off is done may be stopped', security: BEARER,
        response: { 200: { type: 'array', items: ref('StorageNode') }, ...errors(401) }
      }
    }, async () => await storage.read('', async () => await deps.replication?.storageNodes?.() ?? []))

    api.get('/scrub', {
      schema: { summary: 'Scrub on every node holding replicas: progress, damaged values found, repaired and quarantined; nodes that did not answer have answered: false', security: BEARER, response: { 200: { type: 'array', items: ref('ScrubRow') }, ...errors(401) } }
    }, async () => await scrub.read('', async () => await deps.replication?.scrub?.(false) ?? []))

    api.post('/scrub', {
      schema: { summary: 'Start a scrub pass now on every node holding replicas (a node already scrubbing goes on); answers with each node\'s scrub as it starts', security: BEARER, response: { 202: { type: 'array', items: ref('ScrubRow') }, ...errors(401) } }
    }, async (_request, reply) => reply.code(202).send(await deps.replication?.scrub?.(true) ?? []))
  }
}
