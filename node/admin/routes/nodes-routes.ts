import type { FastifyInstance } from 'fastify'
import { BEARER, ROLE_NAMES, errors, ref } from '../../../protocols/admin/index.ts'
import type { Job, Member } from '../../../protocols/index.ts'
import type { RolesInfo } from '../../mesh/index.ts'
import { sendError } from '../admin-errors.ts'
import type { AdminWrites } from '../admin-writes.ts'
import { burstKept } from '../burst-kept.ts'
import { utf8Of } from '../serialized-body.ts'
import { checkQuorumLoss } from '../quorum-guard.ts'
import type { WriteQuorumView } from '../quorum-guard.ts'
import { noteForAudit } from '../request-identity.ts'

/** What the admin API asks of the cluster to change a member's roles (node/mesh ClusterAdmin). */
export interface RoleChanges {
  setRoles (peer: string, roles: readonly string[]): Promise<RolesInfo>
}

/** What the admin API asks of live migration to take a member out (node/migration MigrationAdmin): a job. */
export interface MemberLeaves {
  leave (peer: string, mode: 'drain' | 'decommission'): Promise<Job>
}

export interface NodesRoutesDeps {
  readonly self: () => Member
  /** The other members this node knows of (absent: none). */
  readonly others?: (() => Member[]) | undefined
  readonly cluster: RoleChanges
  /** Drains and decommissions (absent: 503). */
  readonly migration?: MemberLeaves | undefined
  /** The write quorum as this node sees it: a drain, decommission or removal of the storage role
   * that would lose it is refused unless forced (absent: none is). */
  readonly writes?: WriteQuorumView | undefined
  /** The writes answered through this node's admin API: each drops an answer kept in a burst. */
  readonly changes?: Pick<AdminWrites, 'watch'> | undefined
}

const peerParams = { type: 'object', required: ['peerId'], properties: { peerId: { type: 'string', minLength: 1, maxLength: 128, pattern: '^[1-9A-HJ-NP-Za-km-z]+$' } } } as const

/** `/api/v1/nodes`: every member, and a member's roles changed, drained or decommissioned. */
export function nodesRoutes (deps: NodesRoutesDeps) {
  return async (api: FastifyInstance): Promise<void> => {
    const members = (): Member[] => [deps.self(), ...deps.others?.() ?? []]
    const kept = burstKept<Buffer>(api, deps.changes)
    api.get('/nodes', {
      schema: { summary: 'Every member', security: BEARER, response: { 200: { type: 'array', items: ref('Member') }, ...errors(401) } }
    }, async (_request, reply) => {
      // made for each read, but in a burst of reads (burst-kept.ts)
      const json = kept.read('', () => utf8Of(reply.serialize(members().sort((a, b) => a.peerId.localeCompare(b.peerId)))))
      return await reply.type('application/json; charset=utf-8').send(json)
    })

    api.put<{ Params: { peerId: string }, Body: { roles: string[], force?: boolean } }>('/nodes/:peerId/roles', {
      schema: {
        summary: 'Change the roles of a member (live, until it restarts); placement follows at once', security: BEARER,
        params: peerParams,
        body: {
          type: 'object',
          required: ['roles'],
          additionalProperties: false,
          properties: {
            roles: { type: 'array', minItems: 1, maxItems: ROLE_NAMES.length, items: { type: 'string', enum: [...ROLE_NAMES, 'all'] } },
            force: { type: 'boolean', description: 'take the storage role away even when fewer storage nodes than a write needs would be left up (refused with 409 WRITE_QUORUM_LOSS otherwise)' }
          }
        },
        response: {
          200: { type: 'object', required: ['peerId', 'roles'], properties: { peerId: { type: 'string' }, roles: { type: 'array', items: { type: 'string' } }, previous: { type: 'array', items: { type: 'string' } } } },
          ...errors(400, 401, 404, 409, 503)
        }
      }
    }, async (request) => {
      const { peerId } = request.params
      const { roles, force } = request.body
      const held = members().find((m) => m.peerId === peerId)?.roles ?? []
      const dropsStorage = held.includes('storage') && !roles.includes('storage') && !roles.includes('all')
      const forced = dropsStorage ? checkQuorumLoss(deps.writes, peerId, 'drop-storage', force === true) : undefined
      if (forced !== undefined) noteForAudit(request, forced)
      return await deps.cluster.setRoles(peerId, roles)
    })

    for (const mode of ['drain', 'decommission'] as const) {
      api.post<{ Params: { peerId: string }, Body: { force?: boolean } | undefined }>(`/nodes/:peerId/${mode}`, {
        schema: {
          summary: mode === 'drain'
            ? 'Drain a member (a drain job): it stops taking clients, its entities move live to the others, then it exits (it may be started again)'
            : 'Decommission a member (a decommission job): its entities move live, its storage partitions are handed off, then it leaves the cluster for good (its data dir never starts a node again)',
          security: BEARER,
          params: peerParams,
          body: {
            type: ['object', 'null'],
            additionalProperties: false,
            properties: { force: { type: 'boolean', description: `${mode} it even when fewer storage nodes than a write needs would be left up (refused with 409 WRITE_QUORUM_LOSS otherwise)` } }
          },
          response: { 202: ref('Job'), ...errors(400, 401, 404, 409, 503) }
        }
      }, async (request, reply) => {
        if (deps.migration === undefined) return sendError(reply, 503, 'UNAVAILABLE', `this node cannot ${mode} members (it runs without a cluster key)`)
        const forced = checkQuorumLoss(deps.writes, request.params.peerId, mode, request.body?.force === true)
        if (forced !== undefined) noteForAudit(request, forced)
        return reply.code(202).send(await deps.migration.leave(request.params.peerId, mode))
      })
    }
  }
}
