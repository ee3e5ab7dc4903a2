import type { FastifyInstance, FastifyReply } from 'fastify'
import { BEARER, errors, ref } from '../../../protocols/admin/index.ts'
import type { RepairJob } from '../../../protocols/index.ts'
import { sendError } from '../admin-errors.ts'
import type { AdminWrites } from '../admin-writes.ts'
import { CoalescedReads } from '../coalesced-reads.ts'
import { ADMIN_LIST_FRESH_MS, ADMIN_MAX_LIST_PAGE, ADMIN_PARTITIONS_PAGE } from '../constants.ts'
import { linkNext, pageAfter, pageQueryProperties } from '../list-page.ts'
import { SerializedBody } from '../serialized-body.ts'

/** What the admin API asks of replication of the partitions and their repairs (node/replication ReplicationAdmin). */
export interface PartitionsView {
  /** Every partition, one (a number), or those from `from` to `to` (both included; past the last: left out). */
  partitions (only?: number | { readonly from: number, readonly to: number }): Promise<{ partitions: unknown[], unreachable: string[] }>
  startRepair?: ((only?: number) => RepairJob) | undefined
  job?: ((id: string) => RepairJob | undefined) | undefined
  jobs?: (() => RepairJob[]) | undefined
  /** Calls `listener` after each change of what this node's replicas hold, until the returned
   * function is called (absent: a listing is not kept after its gather). */
  watch?: ((listener: () => void) => () => void) | undefined
}

export interface PartitionsRoutesDeps {
  /** The partitions and their replicas (absent: the routes answer with none, and a repair 503). */
  readonly replication?: PartitionsView | undefined
  /** Every write answered through the admin API (admin-writes.ts). */
  readonly writes?: Pick<AdminWrites, 'watch'> | undefined
}

/** A partition row as the listing pages it (its number; the rest as replication says). */
interface PartitionNumbered { readonly partition: number }

const partitionNumber = { type: 'integer', minimum: 0, maximum: 65_535 } as const

/** `/api/v1/partitions` and `/api/v1/repairs`: every partition with its replicas, and the repair jobs
 * that compare them (the dashboard's replication view). */
export function partitionsRoutes (deps: PartitionsRoutesDeps) {
  return async (api: FastifyInstance): Promise<void> => {
    // a burst of reads asks every member once per round trip (coalesced-reads.ts), and the reads
    // within ADMIN_LIST_FRESH_MS after a gather ended are answered by it, unless a change was made
    // through this node since: a write answered by the admin API, or a record landed in this node's
    // replicas (a write through its gRPC endpoint lands here whenever the node holds a replica of
    // its partition). Safe because a change made through this node is thus never missing from the
    // next read here; one made elsewhere shows within ADMIN_LIST_FRESH_MS plus a gather, inside a
    // read route's bound of 1 s. Only kept where replication says when its replicas change.
    const reads = new CoalescedReads<Awaited<ReturnType<PartitionsView['partitions']>>>({ freshMs: deps.replication?.watch === undefined ? 0 : ADMIN_LIST_FRESH_MS })
    const unwatch = [deps.replication?.watch?.(() => { reads.forget() }), deps.writes?.watch(() => { reads.forget() })]
    api.addHook('onClose', async () => { for (const stop of unwatch) stop?.() })
    // and serialized once per gather (256 partitions), not once per read
    const last = new SerializedBody()
    // and sorted by number once per gather, for the pages read of it
    let sorted: { result: unknown, rows: PartitionNumbered[] } | undefined
    api.get<{ Querystring: { partition?: number, limit?: number, after?: number } }>('/partitions', {
      schema: {
        summary: 'Every partition (or one) with its replicas, a page at a time in the order of their numbers: what each replica holds, its highest epoch and its lag; members that did not answer are named in the x-plexi-unreachable header', security: BEARER,
        description: `A page holds ${ADMIN_PARTITIONS_PAGE} partitions unless \`limit\` says otherwise (the whole table of 256 fits in one page of \`limit=256\`); a page with more after it names the next in its \`Link\` header (rel="next").`,
        querystring: { type: 'object', additionalProperties: false, properties: { partition: partitionNumber, ...pageQueryProperties('partitions', ADMIN_PARTITIONS_PAGE, ADMIN_MAX_LIST_PAGE, { type: 'integer', minimum: 0, maximum: 65_535 }) } },
        response: { 200: { type: 'array', items: ref('Partition') }, ...errors(400, 401, 404) }
      }
    }, async (request, reply) => {
      const replication = deps.replication
      if (replication === undefined) return []
      const { partition, limit = ADMIN_PARTITIONS_PAGE, after } = request.query
      // a page asks the members of its own partitions alone, and of one more (whether a page
      // follows): they are numbered from 0 with none missing, so the page is known before the gather
      const from = after === undefined ? 0 : after + 1
      const result = partition !== undefined
        ? await reads.read(String(partition), async () => await replication.partitions(partition))
        : await reads.read(`${from}+${limit}`, async () => await replication.partitions({ from, to: from + limit }))
      if (result.unreachable.length > 0) void reply.header('x-plexi-unreachable', result.unreachable.join(','))
      if (sorted?.result !== result) sorted = { result, rows: [...result.partitions as PartitionNumbered[]].sort((a, b) => a.partition - b.partition) }
      const page = pageAfter(sorted.rows, (p) => p.partition, after, limit)
      linkNext(reply, '/api/v1/partitions', { partition }, limit, { more: page.more, lastKey: page.rows.at(-1)?.partition })
      return await reply.type('application/json; charset=utf-8').send(last.json([result, after, limit], () => reply.serialize(page.rows)))
    })

    api.post<{ Body: { partition?: number } | undefined }>('/repairs', {
      schema: {
        summary: 'Start a repair job: every live replica of each partition (or of one) is compared with every other by Merkle trees, and only what differs moves; follow it at /repairs/{id}', security: BEARER,
        body: { type: 'object', additionalProperties: false, properties: { partition: partitionNumber } },
        response: { 202: ref('RepairJob'), ...errors(400, 401, 404, 503) }
      }
    }, async (request, reply) => {
      const replication = deps.replication
      if (replication?.startRepair === undefined) return sendError(reply, 503, 'UNAVAILABLE', 'this node does not run repairs')
      return reply.code(202).send(replication.startRepair(request.body?.partition))
    })

    api.get('/repairs', {
      schema: { summary: 'Repair jobs started on this node, the newest last (the last 16)', security: BEARER, response: { 200: { type: 'array', items: ref('RepairJob') }, ...errors(401) } }
    }, async () => deps.replication?.jobs?.() ?? [])

    api.get<{ Params: { id: string } }>('/repairs/:id', {
      schema: {
        summary: 'One repair job and its progress (partitionsDone of partitions)', security: BEARER,
        params: { type: 'object', required: ['id'], properties: { id: { type: 'string', pattern: '^repair-[0-9]{1,12}$' } } },
        response: { 200: ref('RepairJob'), ...errors(400, 401, 404) }
      }
    }, async (request, reply) => {
      const job = deps.replication?.job?.(request.params.id)
      if (job === undefined) return sendError(reply, 404, 'UNKNOWN_REPAIR', `no repair job ${request.params.id} on this node (jobs are kept on the node that started them, the last 16)`)
      return job
    })
  }
}
