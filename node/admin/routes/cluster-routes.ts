import type { FastifyInstance } from 'fastify'
import { BEARER, errors, ref, writesSchema } from '../../../protocols/admin/index.ts'
import type { Member } from '../../../protocols/index.ts'
import type { AdminWrites } from '../admin-writes.ts'
import { burstKept } from '../burst-kept.ts'
import { utf8Of } from '../serialized-body.ts'
import type { WriteQuorumView } from '../quorum-guard.ts'

export interface ClusterRoutesDeps {
  readonly self: () => Member
  /** The other members this node knows of (absent: none). */
  readonly others?: (() => Member[]) | undefined
  /** The write quorum as this node sees it (absent: /cluster says nothing of writes). */
  readonly writes?: Pick<WriteQuorumView, 'state'> | undefined
  /** The writes answered through this node's admin API: each drops an answer kept in a burst. */
  readonly changes?: Pick<AdminWrites, 'watch'> | undefined
}

/** `/api/v1/cluster`: this node, every member it knows (by peer id), and whether writes are available. */
export function clusterRoutes (deps: ClusterRoutesDeps) {
  return async (api: FastifyInstance): Promise<void> => {
    const answer = (): { self: Member, members: Member[], writes?: unknown } => {
      const self = deps.self()
      const members = [self, ...deps.others?.() ?? []].sort((a, b) => a.peerId.localeCompare(b.peerId))
      return { self, members, ...(deps.writes !== undefined && { writes: deps.writes.state() }) }
    }
    const kept = burstKept<Buffer>(api, deps.changes)
    api.get('/cluster', {
      schema: {
        summary: 'This node and every member it knows', security: BEARER,
        response: { 200: { type: 'object', required: ['self', 'members'], properties: { self: ref('Member'), members: { type: 'array', items: ref('Member') }, writes: writesSchema } }, ...errors(401) }
      }
    }, async (_request, reply) => {
      // made for each read, but in a burst of reads (burst-kept.ts)
      const json = kept.read('', () => utf8Of(reply.serialize(answer())))
      return await reply.type('application/json; charset=utf-8').send(json)
    })
  }
}
