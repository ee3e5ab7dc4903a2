import type { FastifyInstance, FastifyReply } from 'fastify'
import type { ActorSystem } from '../../../actors/index.ts'
import { BEARER, errors, ref } from '../../../protocols/admin/index.ts'
import type { Job } from '../../../protocols/index.ts'
import type { ActorRow, EntityRow } from '../../mesh/index.ts'
import { sendError } from '../admin-errors.ts'
import type { AdminWrites } from '../admin-writes.ts'
import { CoalescedReads } from '../coalesced-reads.ts'
import { ADMIN_LIST_FRESH_MS, ADMIN_LIST_PAGE, ADMIN_MAX_LIST_PAGE } from '../constants.ts'
import { linkNext, pageAfter, pageQueryProperties } from '../list-page.ts'
import { SerializedBody } from '../serialized-body.ts'

/** What the admin API asks of the cluster to list actors and find an entity (node/mesh ClusterAdmin). */
export interface ActorListing {
  /** `entitiesOnly`: without the system actors (a member that predates it sends them too). */
  actors (kind?: string, entitiesOnly?: boolean): Promise<{ actors: ActorRow[], unreachable: string[] }>
  entity (type: string, key: string): Promise<EntityRow | null>
}

/** What the admin API asks of live migration to move an entity (node/migration MigrationAdmin): a job. */
export interface EntityMoves {
  migrate (type: string, role: string, key: string, to: string): Job
}

/** Where an entity's journal is kept: its partition, and that partition's replicas. */
export interface EntityPartitions {
  partitions (only?: number): Promise<{ partitions: unknown[], unreachable: string[] }>
  /** The partition an entity's journal is in (`type/key`). */
  partitionOf?: ((entityId: string) => number) | undefined
  /** Calls `listener` after each change of what this node's replicas hold, until the returned
   * function is called (absent: an entity's answer is not kept after its gather). */
  watch?: ((listener: () => void) => () => void) | undefined
}

export interface ActorsRoutesDeps {
  readonly system: Pick<ActorSystem, 'entity' | 'entityTypes'>
  readonly cluster: ActorListing
  /** The partitions (absent: an entity is shown without its replicas). */
  readonly replication?: EntityPartitions | undefined
  /** Moves of entities (absent: 503). */
  readonly migration?: EntityMoves | undefined
  /** Every write answered through the admin API (admin-writes.ts): each drops the entities' kept answers. */
  readonly writes?: Pick<AdminWrites, 'watch'> | undefined
}

interface ActorsQuery { type?: string, all?: boolean, limit?: number, after?: string }

/** An actor's place in the listing's order, and its page cursor: `node:path` (a peer id has no `:`). */
const actorKey = (a: ActorRow): string => `${a.node}:${a.path}`

/** A gathered listing's rows in the order of their keys, with or without the system actors (a key
 * of null), sorted once per gather and kept while it is the last one read. */
class SortedActors {
  #listing: { actors: ActorRow[] } | undefined
  #sorted: { withSystem?: ActorRow[], entities?: ActorRow[] } = {}
  of (listing: { actors: ActorRow[] }, withSystem: boolean): ActorRow[] {
    if (this.#listing !== listing) {
      this.#listing = listing
      this.#sorted = {}
    }
    const sorted = (rows: ActorRow[]): ActorRow[] => rows.map((a) => ({ a, k: actorKey(a) })).sort((x, y) => x.k < y.k ? -1 : x.k > y.k ? 1 : 0).map(({ a }) => a)
    if (withSystem) return (this.#sorted.withSystem ??= sorted(listing.actors))
    return (this.#sorted.entities ??= sorted(listing.actors.filter((a) => a.key !== null)))
  }
}

const entityParams = { type: 'object', required: ['type', 'key'], properties: { type: { type: 'string', pattern: '^[a-z][a-z0-9-]{0,31}$' }, key: { type: 'string', minLength: 1, maxLength: 200 } } } as const

/** `/api/v1/actors`: live actors and entities on every member, one entity in full, and its move. */
export function actorsRoutes (deps: ActorsRoutesDeps) {
  return async (api: FastifyInstance): Promise<void> => {
    // a burst of listings asks every member once per round trip (coalesced-reads.ts)
    const listings = new CoalescedReads<{ actors: ActorRow[], unreachable: string[] }>()
    // and serialized once per gather (a thousand rows and more), not once per read
    const last = new SerializedBody()
    // and sorted once per gather, for the pages read of it
    const listed = new SortedActors()
    const entities = keptEntities(api, deps)
    const entityType = (type: string): ReturnType<ActorSystem['entityTypes']>[number] | undefined => deps.system.entityTypes().find((t) => t.type === type)
    const unknownType = (reply: FastifyReply, type: string): FastifyReply =>
      sendError(reply, 404, 'UNKNOWN_ENTITY_TYPE', `no entity type ${JSON.stringify(type)}; known: ${deps.system.entityTypes().map((t) => t.type).join(', ')}`)

    api.get<{ Querystring: ActorsQuery }>('/actors', {
      schema: {
        summary: 'Live actors and active entities on every member, a page at a time in the order of their `node:path` (filter by kind or entity type; the system actors that host them with `all=true`); members that did not answer are named in the x-plexi-unreachable header', security: BEARER,
        description: `Without \`type\` or \`all=true\`, the entities alone (the system actors, about 30 a node and a shard holder per partition replica it keeps, are left out); a kind named in \`type\` is listed whatever it is. A page holds ${ADMIN_LIST_PAGE} rows unless \`limit\` says otherwise; a page with more after it names the next in its \`Link\` header (rel="next"), with the same filters.`,
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            type: { type: 'string', pattern: '^[a-z$][a-z0-9-]{0,31}$' },
            all: { type: 'boolean', description: 'the system actors too (default false)' },
            ...pageQueryProperties('actors', ADMIN_LIST_PAGE, ADMIN_MAX_LIST_PAGE, { type: 'string', minLength: 1, maxLength: 1400 })
          }
        },
        response: { 200: { type: 'array', items: ref('Actor') }, ...errors(400, 401) }
      }
    }, async (request, reply) => {
      const { type, all = false, limit = ADMIN_LIST_PAGE, after } = request.query
      const withSystem = type !== undefined || all
      // without the system actors, the members leave them out (at 3 members they were nearly all
      // of the 130 KB gathered)
      const listing = await listings.read(`${type ?? ''} ${String(withSystem)}`, async () => await deps.cluster.actors(type, !withSystem))
      if (listing.unreachable.length > 0) void reply.header('x-plexi-unreachable', listing.unreachable.join(','))
      const rows = listed.of(listing, withSystem)
      const page = pageAfter(rows, actorKey, after, limit)
      linkNext(reply, '/api/v1/actors', { type, all: all ? true : undefined }, limit, { more: page.more, lastKey: page.rows.length > 0 ? actorKey(page.rows[page.rows.length - 1] as ActorRow) : undefined })
      return await reply.type('application/json; charset=utf-8').send(last.json([listing, all, after, limit], () => reply.serialize(page.rows)))
    })

    api.get<{ Params: { type: string, key: string } }>('/actors/:type/:key', {
      schema: {
        summary: 'One entity: where it lives, whether it is active, its last journaled seq, and the replicas of its journal\'s partition', security: BEARER,
        params: entityParams,
        response: { 200: ref('Entity'), ...errors(400, 401, 404) }
      }
    }, async (request, reply) => {
      const { type, key } = request.params
      const known = entityType(type)
      if (known === undefined) return unknownType(reply, type)
      deps.system.entity(known, key)   // validates the key (InvalidNameError → 400)
      const found = await entities.read(`${type}/${key}`, async () => await entityOf(deps, type, key))
      if (found === null) return sendError(reply, 404, 'UNKNOWN_ENTITY', `entity ${type}/${key} has never been written to on its owner`)
      if (found.unreachable.length > 0) void reply.header('x-plexi-unreachable', found.unreachable.join(','))
      return found.entity
    })

    api.post<{ Params: { type: string, key: string }, Body: { to: string } }>('/actors/:type/:key/migrate', {
      schema: {
        summary: 'Move one entity live to a member of its role (a migrate job): it is pinned there while it stays active, and placement everywhere follows; follow the job at /jobs/{id}', security: BEARER,
        params: entityParams,
        body: { type: 'object', required: ['to'], additionalProperties: false, properties: { to: { type: 'string', minLength: 1, maxLength: 128, pattern: '^[1-9A-HJ-NP-Za-km-z]+$', description: 'peer id of the member to move it to' } } },
        response: { 202: ref('Job'), ...errors(400, 401, 404, 409, 503) }
      }
    }, async (request, reply) => {
      const { type, key } = request.params
      const known = entityType(type)
      if (known === undefined) return unknownType(reply, type)
      deps.system.entity(known, key)   // validates the key (InvalidNameError → 400)
      if (deps.migration === undefined) return sendError(reply, 503, 'UNAVAILABLE', 'this node does not move entities (it runs without a cluster key)')
      return reply.code(202).send(deps.migration.migrate(type, known.role, key, request.body.to))
    })
  }
}

/** Reads of one entity coalesced, each answer (its owner's row and its partition's replicas, two
 * asks) kept 250 ms after its gather as a page of /partitions is, and dropped at every write answered
 * here and every record landing in this node's replicas: a burst of reads of one entity waited on a
 * round trip of both asks per 50 reads. Nothing is kept without both to drop it. */
function keptEntities (api: FastifyInstance, deps: ActorsRoutesDeps): CoalescedReads<Awaited<ReturnType<typeof entityOf>>> {
  const kept = deps.replication?.watch !== undefined && deps.writes !== undefined
  const entities = new CoalescedReads<Awaited<ReturnType<typeof entityOf>>>({ freshMs: kept ? ADMIN_LIST_FRESH_MS : 0 })
  const unwatch = kept ? [deps.replication?.watch?.(() => { entities.forget() }), deps.writes?.watch(() => { entities.forget() })] : []
  api.addHook('onClose', async () => { for (const stop of unwatch) stop?.() })
  return entities
}

/** One entity as its owner says, with its partition's replicas as each says (null: the entity was
 * never written to on its owner). */
async function entityOf (deps: ActorsRoutesDeps, type: string, key: string): Promise<{ entity: unknown, unreachable: string[] } | null> {
  const replication = deps.replication
  // asked of the member that owns it now (this node when it runs alone) and, at the same time,
  // where its journal is kept: the replicas of its partition, as each says (null: did not answer);
  // one after the other, a read waited for both round trips
  const partition = replication?.partitionOf?.(`${type}/${key}`)
  const [row, kept] = await Promise.all([
    deps.cluster.entity(type, key),
    partition === undefined || replication === undefined ? undefined : replication.partitions(partition)
  ])
  if (row === null) return null
  if (partition === undefined || kept === undefined) return { entity: row, unreachable: [] }
  const replicas = ((kept.partitions[0] as { replicas?: Array<{ peerId: string, status: string, epoch: number | null, lag: number | null }> } | undefined)?.replicas ?? [])
    .map((r) => ({ peerId: r.peerId, status: r.status, epoch: r.epoch, lag: r.lag }))
  return { entity: { ...row, partition, replicas }, unreachable: kept.unreachable }
}
