import Fastify, { LogController } from 'fastify'
import type { FastifyBaseLogger, FastifyInstance, FastifyReply, FastifyRequest, FastifySchemaValidationError } from 'fastify'
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import { Ajv } from 'ajv'
import { AGENT, ROOM, ROOMS, ROOM_DIRECTORY_KEY } from '../../actors/index.ts'
import type { ActorSystem, RoomSummary } from '../../actors/index.ts'
import { adminSchemas } from '../../protocols/index.ts'
import { clientError, errorReply, httpError, notFound, parseJsonBody, sendError } from './admin-errors.ts'
import { checkQuorumLoss } from './quorum-guard.ts'
import type { WriteQuorumView } from './quorum-guard.ts'
import type { Job, JobKind, JobState, Member, RepairJob, ScrubRow, StorageNodeRow } from '../../protocols/index.ts'
import { tokenMatches } from '../identity/index.ts'
import { clientAddress, depthLimited, trusting } from '../limits/index.ts'
import type { ClientLimits, TrustedProxies } from '../limits/index.ts'
import type { NodeMetrics } from '../metrics/index.ts'
import type { UserAccounts } from '../users/index.ts'
import type { LoadedModel, ModelEntry, ModelManager, ModelRegistry } from '../../runtimes/index.ts'
import type { ActorRow, EntityRow, RolesInfo } from '../mesh/index.ts'
import type { StatsSample } from '../metrics/index.ts'
import type { LogEntry, LogLevelName } from '../log-tail.ts'
import { DashboardAssets } from './dashboard-assets.ts'
import { dashboardRoutes } from './dashboard-routes.ts'
import { EventStreams } from './event-streams.ts'
import { auditDetail } from './audit-trail.ts'
import type { AuditVerdict } from './audit-trail.ts'
import type { AuditEntry, AuditRecord } from '../../actors/index.ts'

export type Readiness = 'starting' | 'ready' | 'draining'

export interface AdminServerDeps {
  readonly system: ActorSystem
  readonly users: UserAccounts
  readonly metrics: NodeMetrics
  readonly adminToken: string
  /** When set, /metrics needs it as a bearer token. */
  readonly metricsToken?: string | undefined
  readonly readiness: () => Readiness
  readonly self: () => Member
  /** The other members this node knows of (absent: none). */
  readonly others?: () => Member[]
  /** Listings across the cluster (this node alone without a cluster key) and role changes. */
  readonly cluster: ClusterAdmin
  /** Partitions and their replicas (absent: the route answers with none). */
  readonly replication?: {
    partitions (only?: number): Promise<{ partitions: unknown[], unreachable: string[] }>
    /** The partition an entity's journal is in (`type/key`). */
    partitionOf?: (entityId: string) => number
    startRepair?: (only?: number) => RepairJob
    job?: (id: string) => RepairJob | undefined
    jobs?: () => RepairJob[]
    scrub?: (start: boolean) => Promise<ScrubRow[]>
    storageNodes?: () => Promise<StorageNodeRow[]>
  }
  /** Every member's jobs (absent: none are listed, and none is found). */
  readonly jobs?: JobsAdmin
  /** Admin moves: an entity to a node, a member drained or decommissioned (absent: 503). */
  readonly migration?: MigrationAdmin
  /** The write quorum as this node sees it: shown in /cluster, and a drain, decommission or removal
   * of the storage role that would lose it is refused unless forced (absent: none is). */
  readonly writes?: WriteQuorumView
  /** Backups: the catalog, and jobs that make and check them (absent: 503). */
  readonly backups?: BackupsAdmin
  /** The node's models (absent: the route lists none). */
  readonly models?: ModelRegistry
  /** What is loaded, and load/unload (absent: nothing is, and the routes answer 404). */
  readonly manager?: ModelManager
  /** The node's rates, sampled every interval (absent: none are, and the routes list none). */
  readonly stats?: StatsView
  /** The last lines the node logged (absent: the routes list none). */
  readonly logs?: LogsView
  /** The cluster's audit trail (absent: nothing is recorded, and the routes answer 503). */
  readonly audit?: AuditView
  /** This node's named admin tokens with their scopes (absent: the main admin token alone). */
  readonly tokens?: AdminTokensView
  /** pino (the node's), or false for none (tests). */
  readonly logger?: FastifyBaseLogger | false
  /** The node's limits per client address, shared with its other endpoints (absent: none). */
  readonly clients?: ClientLimits
  /** A PEM certificate chain and its key: the endpoint then speaks HTTPS only (absent: plain HTTP). */
  readonly https?: { readonly cert: Buffer, readonly key: Buffer }
  /** Reverse proxies whose X-Forwarded-For is believed (config `trusted-proxies`): a request
   * through one is from the client it names (`request.ip`: the limits, the audit trail). */
  readonly proxies?: TrustedProxies
}

/** What the admin API reads of the stats sampler (node/metrics StatsSampler). */
export interface StatsView {
  readonly intervalMs: number
  samples (): StatsSample[]
  subscribe (reader: (sample: StatsSample) => void): () => void
}

/** What the admin API asks of the named admin tokens (node/identity AdminTokens). */
export interface AdminTokensView {
  match (token: string): { readonly name: string, readonly scope: 'read' | 'admin' } | undefined
  list (): Array<{ readonly name: string, readonly scope: string, readonly createdAt: number }>
  add (name: string, scope: 'read' | 'admin'): Promise<{ entry: { readonly name: string, readonly scope: string, readonly createdAt: number }, token: string }>
  remove (name: string): Promise<{ readonly name: string, readonly scope: string, readonly createdAt: number }>
}

/** Who sent an admin request: the main admin token, or a named token with its scope. */
interface Principal {
  /** `admin` (the main token) or `token:NAME` */
  readonly actor: string
  readonly scope: 'read' | 'admin'
}

/** What the admin API asks of the audit trail (node/admin AuditTrail). */
export interface AuditView {
  record (entry: AuditEntry): Promise<void>
  failedAuthentication (): { record: boolean, droppedBefore: number }
  list (after: number, limit: number): Promise<AuditRecord[]>
  head (): Promise<{ seq: number, hash: string }>
  verify (): Promise<AuditVerdict>
}

/** What the admin API reads of the log tail (node/log-tail.ts LogTail). */
export interface LogsView {
  entries (level?: LogLevelName, limit?: number): LogEntry[]
  subscribe (reader: (entry: LogEntry) => void): () => void
}

const LOG_LEVEL_NAMES = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const
/** Lines sent first to a new reader of the live tail. */
const LOG_HISTORY = 200

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

/** What the admin API asks of the cluster (node/mesh ClusterAdmin). */
export interface ClusterAdmin {
  actors (kind?: string): Promise<{ actors: ActorRow[], unreachable: string[] }>
  entity (type: string, key: string): Promise<EntityRow | null>
  setRoles (peer: string, roles: readonly string[]): Promise<RolesInfo>
}

/** What the admin API asks of live migration (node/migration MigrationAdmin): each starts a job. */
export interface MigrationAdmin {
  migrate (type: string, role: string, key: string, to: string): Job
  leave (peer: string, mode: 'drain' | 'decommission'): Promise<Job>
}

/** What the admin API asks of the cluster's jobs (node/jobs ClusterJobs). */
export interface JobsAdmin {
  list (filter: { kind?: JobKind | undefined, state?: JobState | undefined }): Promise<{ jobs: Job[], unreachable: string[] }>
  /** Throws a not-found error (UnknownJobError) when no member has it. */
  get (id: string): Promise<Job>
  cancel (id: string): Promise<Job>
}

const ref = (id: string): { $ref: string } => ({ $ref: `${id}#` })
const errors = (...codes: number[]): Record<number, { $ref: string }> =>
  Object.fromEntries(codes.map((code) => [code, ref('Error')]))
const bearer = [{ bearer: [] }]
/** GET /cluster `writes`: the write quorum as the answering node sees it (node/replication WriteQuorum). */
const WRITES_SCHEMA = {
  type: 'object',
  description: 'whether writes are available: the storage nodes up against the replicas a write needs',
  required: ['available', 'needed', 'writeQuorum', 'replicas', 'storageNodes', 'storageUp', 'partitions', 'unavailablePartitions', 'down'],
  properties: {
    available: { type: 'boolean', description: 'every partition has the replicas up that a write needs' },
    needed: { type: 'integer', description: 'replicas a write needs (the write quorum, or the fence quorum where that is more)' },
    writeQuorum: { type: 'integer' },
    replicas: { type: 'integer', description: 'replicas per partition in use' },
    storageNodes: { type: 'integer', description: 'storage nodes holding replicas' },
    storageUp: { type: 'integer', description: 'of them, up' },
    partitions: { type: 'integer' },
    unavailablePartitions: { type: 'integer', description: 'partitions with fewer replicas up than a write needs: their entities answer UNAVAILABLE' },
    down: { type: 'array', items: { type: 'string' }, description: 'peer ids of the storage nodes down' }
  }
} as const

/**
 * The admin HTTP endpoint, built but not listening (node/ listens; tests use inject()).
 * `/livez`, `/readyz`, `/metrics`, `/api/v1/*` behind the admin bearer token, OpenAPI at
 * `/docs/json` and its UI at `/docs`. Bodies are validated strictly: unknown fields and wrong
 * types are 400 with a message naming the field; nothing is coerced.
 */
export async function buildAdminServer (deps: AdminServerDeps): Promise<FastifyInstance> {
  const app = Fastify({
    ...(deps.logger === undefined || deps.logger === false ? { logger: false } : { loggerInstance: deps.logger }),
    // one line per scrape or probe would drown the log; failures are logged by the error handler
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: 64 * 1024,
    // an entity key is up to 200 characters, up to three times that percent-encoded
    routerOptions: { maxParamLength: 1024 },
    // Fastify's errors raised before routing (a bad URL, a path parameter too long): same handler
    frameworkErrors: errorReply,
    clientErrorHandler: clientError,
    ...(deps.https !== undefined && { https: { cert: deps.https.cert, key: deps.https.key } }),
    ...(deps.proxies !== undefined && deps.proxies.size > 0 && { trustProxy: trusting(deps.proxies) })
  })
  // JSON bodies only (anything else is 415), and an empty one is no body; one nested too deep is
  // refused unparsed (400 BODY_TOO_DEEP), before any hook or handler holds it
  app.removeAllContentTypeParsers()
  const parseJson = depthLimited(parseJsonBody)
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => { parseJson(request, body as string, done) })
  app.setNotFoundHandler(notFound)
  // bodies: strict. Query strings and path params arrive as strings, so those may be coerced.
  const strict = new Ajv({ removeAdditional: false, coerceTypes: false, useDefaults: true, allErrors: false })
  const lenient = new Ajv({ removeAdditional: false, coerceTypes: true, useDefaults: true, allErrors: false })
  for (const schema of adminSchemas.ADMIN_SCHEMAS) {
    app.addSchema(schema)
    strict.addSchema(schema)
    lenient.addSchema(schema)
  }
  app.setValidatorCompiler(({ schema, httpPart }) => (httpPart === 'body' ? strict : lenient).compile(schema))
  app.setErrorHandler(errorReply)
  const clients = deps.clients
  if (clients !== undefined) {
    // every request counts against its address's rate but the probes: a load balancer or kubelet
    // checking often must not make the node look down
    app.addHook('onRequest', async (request) => {
      const path = request.url.split('?')[0]
      if (path === '/livez' || path === '/readyz') return
      clients.request(path === '/metrics' ? 'metrics' : 'admin', clientAddress(request.ip))
    })
  }

  await app.register(swagger, {
    openapi: {
      info: { title: 'Plexi admin API', version: '1', description: 'Cluster, actors, users and rooms of a Plexi node. /api/v1 needs "Authorization: Bearer <admin token>".' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } }
    },
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => String(json.$id ?? `def-${i}`) }
  })
  await app.register(swaggerUi, { routePrefix: '/docs' })

  app.get('/livez', {
    schema: { summary: 'The process is alive (its event loop turns)', response: { 200: { type: 'object', properties: { status: { type: 'string' } } } } }
  }, async () => ({ status: 'ok' }))

  app.get('/readyz', {
    schema: {
      summary: 'Ready to serve: 503 while starting or shutting down',
      response: { 200: { type: 'object', properties: { status: { type: 'string' } } }, 503: { type: 'object', properties: { status: { type: 'string' } } } }
    }
  }, async (_request, reply) => {
    const state = deps.readiness()
    return reply.code(state === 'ready' ? 200 : 503).send({ status: state })
  })

  app.get('/metrics', { schema: { summary: 'Prometheus metrics (bearer metrics-token when one is configured)', response: { 401: ref('Error'), 429: ref('Error') } } }, async (request, reply) => {
    if (deps.metricsToken !== undefined) {
      const address = clientAddress(request.ip)
      const presented = request.headers.authorization !== undefined
      if (presented) clients?.checkAuthentication('metrics', address)
      if (!authorized(request, deps.metricsToken)) {
        if (presented) clients?.failedAuthentication('metrics', address)
        return unauthorized(reply, 'metrics token')
      }
    }
    reply.type(deps.metrics.registry.contentType)
    return await deps.metrics.registry.metrics()
  })

  await app.register(dashboardRoutes(new DashboardAssets()))
  const streams = new EventStreams({ ...(clients !== undefined && { clients }) })
  // an open stream would hold the server's close until the browser goes
  app.addHook('preClose', async () => { streams.closeAll() })

  await app.register(async (api) => {
    /** Who sent each request that authenticated (for its scope and the audit trail). */
    const principals = new WeakMap<FastifyRequest, Principal>()
    /** Requests refused unchecked: their address failed to authenticate too often. */
    const throttled = new WeakSet<FastifyRequest>()
    /** What a route says of a request for its audit record (a check it was forced past). */
    const notes = new WeakMap<FastifyRequest, string>()
    api.addHook('onRequest', async (request, reply) => {
      // a request with no token is no attempt: it is refused (401) but not counted
      const presented = request.headers.authorization !== undefined
      const address = clientAddress(request.ip)
      if (presented && clients !== undefined) {
        try {
          clients.checkAuthentication('admin', address)
        } catch (err) {
          throttled.add(request)
          throw err
        }
      }
      const principal = principalOf(request, deps.adminToken, deps.tokens)
      if (principal === undefined) {
        if (presented) clients?.failedAuthentication('admin', address)
        return unauthorized(reply, 'admin token')
      }
      principals.set(request, principal)
      // one budget per admin token (`admin`, `token:NAME`), from wherever its requests come
      clients?.userRequest('admin', principal.actor)
      if (principal.scope === 'read' && request.method !== 'GET' && request.method !== 'HEAD') {
        return sendError(reply, 403, 'READ_ONLY_TOKEN', `the admin token ${principal.actor.slice('token:'.length)} may only read (scope read): ${request.method} needs the admin token or one of scope admin`)
      }
    })
    // every admin action, and every failed authentication, goes into the audit trail before the
    // answer does (reads are not actions: they are not recorded)
    const audit = deps.audit
    if (audit !== undefined) {
      api.addHook('onSend', async (request, reply, payload) => {
        const status = reply.statusCode
        // an attempt refused unchecked is recorded as a failed authentication is (at most 30 a
        // minute): a client guessing on fills the trail no faster than before
        const refusedUnchecked = throttled.has(request)
        const unauthenticated = status === 401 || refusedUnchecked
        if (!unauthenticated && (request.method === 'GET' || request.method === 'HEAD')) return payload
        // refused before it could authenticate (over its address's request rate): it did nothing
        if (!unauthenticated && !principals.has(request)) return payload
        let detail = unauthenticated ? '' : [notes.get(request), auditDetail(request.body)].filter((d) => d !== undefined && d !== '').join('; ')
        if (unauthenticated) {
          const { record, droppedBefore } = audit.failedAuthentication()
          if (!record) return payload
          detail = [
            ...(refusedUnchecked ? ['refused before its token was checked: too many failed authentications from this address'] : []),
            ...(droppedBefore > 0 ? [`${droppedBefore} failed authentications before this one were not recorded (at most 30 a minute are)`] : [])
          ].join('; ')
        }
        await audit.record({
          actor: principals.get(request)?.actor ?? 'unauthenticated',
          node: deps.self().peerId,
          ip: request.ip,
          action: `${request.method} ${request.routeOptions.url ?? request.url.split('?')[0] ?? ''}`,
          target: request.url.split('?')[0] ?? '',
          outcome: status < 400 ? 'ok' : status < 500 ? 'refused' : 'failed',
          status,
          detail
        })
        return payload
      })
    }

    api.get('/cluster', {
      schema: {
        summary: 'This node and every member it knows', security: bearer,
        response: { 200: { type: 'object', required: ['self', 'members'], properties: { self: ref('Member'), members: { type: 'array', items: ref('Member') }, writes: WRITES_SCHEMA } }, ...errors(401) }
      }
    }, async () => {
      const self = deps.self()
      const members = [self, ...deps.others?.() ?? []].sort((a, b) => a.peerId.localeCompare(b.peerId))
      return { self, members, ...(deps.writes !== undefined && { writes: deps.writes.state() }) }
    })

    api.get('/nodes', {
      schema: { summary: 'Every member', security: bearer, response: { 200: { type: 'array', items: ref('Member') }, ...errors(401) } }
    }, async () => [deps.self(), ...deps.others?.() ?? []].sort((a, b) => a.peerId.localeCompare(b.peerId)))

    api.get<{ Querystring: { type?: string } }>('/actors', {
      schema: {
        summary: 'Live actors and active entities on every member (filter by kind or entity type); members that did not answer are named in the x-plexi-unreachable header', security: bearer,
        querystring: { type: 'object', additionalProperties: false, properties: { type: { type: 'string', pattern: '^[a-z$][a-z0-9-]{0,31}$' } } },
        response: { 200: { type: 'array', items: ref('Actor') }, ...errors(400, 401) }
      }
    }, async (request, reply) => {
      const { actors, unreachable } = await deps.cluster.actors(request.query.type)
      if (unreachable.length > 0) void reply.header('x-plexi-unreachable', unreachable.join(','))
      return actors
    })

    api.get<{ Querystring: { partition?: number } }>('/partitions', {
      schema: {
        summary: 'Every partition (or one) with its replicas: what each holds, its highest epoch and its lag; members that did not answer are named in the x-plexi-unreachable header', security: bearer,
        querystring: { type: 'object', additionalProperties: false, properties: { partition: { type: 'integer', minimum: 0, maximum: 65_535 } } },
        response: { 200: { type: 'array', items: ref('Partition') }, ...errors(400, 401, 404) }
      }
    }, async (request, reply) => {
      const replication = deps.replication
      if (replication === undefined) return []
      const result = await replication.partitions(request.query.partition)
      if (result.unreachable.length > 0) void reply.header('x-plexi-unreachable', result.unreachable.join(','))
      return result.partitions
    })

    api.post<{ Body: { partition?: number } | undefined }>('/repairs', {
      schema: {
        summary: 'Start a repair job: every live replica of each partition (or of one) is compared with every other by Merkle trees, and only what differs moves; follow it at /repairs/{id}', security: bearer,
        body: { type: 'object', additionalProperties: false, properties: { partition: { type: 'integer', minimum: 0, maximum: 65_535 } } },
        response: { 202: ref('RepairJob'), ...errors(400, 401, 404, 503) }
      }
    }, async (request, reply) => {
      const replication = deps.replication
      if (replication?.startRepair === undefined) return sendError(reply, 503, 'UNAVAILABLE', 'this node does not run repairs')
      return reply.code(202).send(replication.startRepair(request.body?.partition))
    })

    api.get('/repairs', {
      schema: { summary: 'Repair jobs started on this node, the newest last (the last 16)', security: bearer, response: { 200: { type: 'array', items: ref('RepairJob') }, ...errors(401) } }
    }, async () => deps.replication?.jobs?.() ?? [])

    api.get<{ Params: { id: string } }>('/repairs/:id', {
      schema: {
        summary: 'One repair job and its progress (partitionsDone of partitions)', security: bearer,
        params: { type: 'object', required: ['id'], properties: { id: { type: 'string', pattern: '^repair-[0-9]{1,12}$' } } },
        response: { 200: ref('RepairJob'), ...errors(400, 401, 404) }
      }
    }, async (request, reply) => {
      const job = deps.replication?.job?.(request.params.id)
      if (job === undefined) return sendError(reply, 404, 'UNKNOWN_REPAIR', `no repair job ${request.params.id} on this node (jobs are kept on the node that started them, the last 16)`)
      return job
    })

    const jobParams = { type: 'object', required: ['id'], properties: { id: { type: 'string', maxLength: 64, pattern: adminSchemas.JOB_ID_PATTERN.source } } } as const
    const noJob = (id: string): Error => httpError(404, 'UNKNOWN_JOB', `no job ${id} on any member`)

    api.get<{ Querystring: { kind?: JobKind, state?: JobState } }>('/jobs', {
      schema: {
        summary: 'Jobs (drains, decommissions, rebalances, migrations, repairs) of every member that is not down, the newest first, with their progress and what is left; filter by kind and state. Members that did not answer are named in unreachable',
        security: bearer,
        querystring: { type: 'object', additionalProperties: false, properties: { kind: { type: 'string', enum: adminSchemas.JOB_KINDS }, state: { type: 'string', enum: adminSchemas.JOB_STATES } } },
        response: {
          200: {
            type: 'object',
            required: ['jobs', 'unreachable'],
            properties: { jobs: { type: 'array', items: ref('Job') }, unreachable: { type: 'array', items: { type: 'string' }, description: 'peer ids of members that did not answer (their jobs are not listed)' } }
          },
          ...errors(400, 401)
        }
      },
      schemaErrorFormatter: jobsValidationError
    }, async (request) => deps.jobs === undefined ? { jobs: [], unreachable: [] } : await deps.jobs.list({ kind: request.query.kind, state: request.query.state }))

    api.get<{ Params: { id: string } }>('/jobs/:id', {
      schema: { summary: 'One job, from whichever member runs it (its id ends with the end of that member\'s peer id)', security: bearer, params: jobParams, response: { 200: ref('Job'), ...errors(400, 401, 404) } },
      schemaErrorFormatter: jobsValidationError
    }, async (request) => {
      if (deps.jobs === undefined) throw noJob(request.params.id)
      return await deps.jobs.get(request.params.id)
    })

    api.post<{ Params: { id: string } }>('/jobs/:id/cancel', {
      schema: {
        summary: 'Cancel a running job on whichever member runs it; answers with the job once it stopped (cancelled), or after 2 s still running with a message saying it is cancelling. A finished job is answered unchanged',
        security: bearer,
        params: jobParams,
        response: { 200: ref('Job'), ...errors(400, 401, 404) }
      },
      schemaErrorFormatter: jobsValidationError
    }, async (request) => {
      if (deps.jobs === undefined) throw noJob(request.params.id)
      return await deps.jobs.cancel(request.params.id)
    })

    api.get('/storage', {
      schema: {
        summary: 'The storage nodes this node knows: active ones (placement chooses among them) and leaving ones (they lost the storage role) with their hand-off; a leaving node whose hand-off is done may be stopped', security: bearer,
        response: { 200: { type: 'array', items: ref('StorageNode') }, ...errors(401) }
      }
    }, async () => await deps.replication?.storageNodes?.() ?? [])

    api.get('/scrub', {
      schema: { summary: 'Scrub on every node holding replicas: progress, damaged values found, repaired and quarantined; nodes that did not answer have answered: false', security: bearer, response: { 200: { type: 'array', items: ref('ScrubRow') }, ...errors(401) } }
    }, async () => await deps.replication?.scrub?.(false) ?? [])

    api.post('/scrub', {
      schema: { summary: 'Start a scrub pass now on every node holding replicas (a node already scrubbing goes on); answers with each node\'s scrub as it starts', security: bearer, response: { 202: { type: 'array', items: ref('ScrubRow') }, ...errors(401) } }
    }, async (_request, reply) => reply.code(202).send(await deps.replication?.scrub?.(true) ?? []))

    api.get<{ Params: { type: string, key: string } }>('/actors/:type/:key', {
      schema: {
        summary: 'One entity: where it lives, whether it is active, its last journaled seq, and the replicas of its journal\'s partition', security: bearer,
        params: { type: 'object', required: ['type', 'key'], properties: { type: { type: 'string', pattern: '^[a-z][a-z0-9-]{0,31}$' }, key: { type: 'string', minLength: 1, maxLength: 200 } } },
        response: { 200: ref('Entity'), ...errors(400, 401, 404) }
      }
    }, async (request, reply) => {
      const { type, key } = request.params
      const known = deps.system.entityTypes().find((t) => t.type === type)
      if (known === undefined) return sendError(reply, 404, 'UNKNOWN_ENTITY_TYPE', `no entity type ${JSON.stringify(type)}; known: ${deps.system.entityTypes().map((t) => t.type).join(', ')}`)
      deps.system.entity(known, key)   // validates the key (InvalidNameError → 400)
      // asked of the member that owns it now (this node when it runs alone)
      const row = await deps.cluster.entity(type, key)
      if (row === null) return sendError(reply, 404, 'UNKNOWN_ENTITY', `entity ${type}/${key} has never been written to on its owner`)
      const replication = deps.replication
      if (replication?.partitionOf === undefined) return row
      // where its journal is kept: the replicas of its partition, as each says (null: did not answer)
      const partition = replication.partitionOf(`${type}/${key}`)
      const { partitions, unreachable } = await replication.partitions(partition)
      if (unreachable.length > 0) void reply.header('x-plexi-unreachable', unreachable.join(','))
      const replicas = ((partitions[0] as { replicas?: Array<{ peerId: string, status: string, epoch: number | null, lag: number | null }> } | undefined)?.replicas ?? [])
        .map((r) => ({ peerId: r.peerId, status: r.status, epoch: r.epoch, lag: r.lag }))
      return { ...row, partition, replicas }
    })

    api.put<{ Params: { peerId: string }, Body: { roles: string[], force?: boolean } }>('/nodes/:peerId/roles', {
      schema: {
        summary: 'Change the roles of a member (live, until it restarts); placement follows at once', security: bearer,
        params: { type: 'object', required: ['peerId'], properties: { peerId: { type: 'string', minLength: 1, maxLength: 128, pattern: '^[1-9A-HJ-NP-Za-km-z]+$' } } },
        body: {
          type: 'object',
          required: ['roles'],
          additionalProperties: false,
          properties: {
            roles: { type: 'array', minItems: 1, maxItems: 4, items: { type: 'string', enum: [...adminSchemas.ROLE_NAMES, 'all'] } },
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
      const held = [deps.self(), ...deps.others?.() ?? []].find((m) => m.peerId === peerId)?.roles ?? []
      const dropsStorage = held.includes('storage') && !roles.includes('storage') && !roles.includes('all')
      const forced = dropsStorage ? checkQuorumLoss(deps.writes, peerId, 'drop-storage', force === true) : undefined
      if (forced !== undefined) notes.set(request, forced)
      return await deps.cluster.setRoles(peerId, roles)
    })

    api.post<{ Params: { type: string, key: string }, Body: { to: string } }>('/actors/:type/:key/migrate', {
      schema: {
        summary: 'Move one entity live to a member of its role (a migrate job): it is pinned there while it stays active, and placement everywhere follows; follow the job at /jobs/{id}', security: bearer,
        params: { type: 'object', required: ['type', 'key'], properties: { type: { type: 'string', pattern: '^[a-z][a-z0-9-]{0,31}$' }, key: { type: 'string', minLength: 1, maxLength: 200 } } },
        body: { type: 'object', required: ['to'], additionalProperties: false, properties: { to: { type: 'string', minLength: 1, maxLength: 128, pattern: '^[1-9A-HJ-NP-Za-km-z]+$', description: 'peer id of the member to move it to' } } },
        response: { 202: ref('Job'), ...errors(400, 401, 404, 409, 503) }
      }
    }, async (request, reply) => {
      const { type, key } = request.params
      const known = deps.system.entityTypes().find((t) => t.type === type)
      if (known === undefined) return sendError(reply, 404, 'UNKNOWN_ENTITY_TYPE', `no entity type ${JSON.stringify(type)}; known: ${deps.system.entityTypes().map((t) => t.type).join(', ')}`)
      deps.system.entity(known, key)   // validates the key (InvalidNameError → 400)
      if (deps.migration === undefined) return sendError(reply, 503, 'UNAVAILABLE', 'this node does not move entities (it runs without a cluster key)')
      return reply.code(202).send(deps.migration.migrate(type, known.role, key, request.body.to))
    })

    const backupParams = { type: 'object', required: ['id'], properties: { id: { type: 'string', pattern: '^bk-[a-z0-9-]{1,60}$' } } } as const
    const noBackups = (reply: FastifyReply): FastifyReply => sendError(reply, 503, 'UNAVAILABLE', 'this node keeps no backups')
    api.get('/backups', {
      schema: { summary: 'Every backup of the cluster (the catalog, replicated like any journal), oldest first; no key needed to list them', security: bearer, response: { 200: { type: 'array', items: ref('Backup') }, ...errors(401, 503) } }
    }, async (_request, reply) => deps.backups === undefined ? noBackups(reply) : await deps.backups.list())

    api.post<{ Body: { note?: string } | undefined }>('/backups', {
      schema: {
        summary: 'Start a backup (a backup job; needs a node started with --backup-key-file and a member holding the backup role): every partition at a cut, chunked, each chunk sealed under its own key and stored on backup-role members; follow it at /jobs/{id}',
        security: bearer,
        body: { type: ['object', 'null'], additionalProperties: false, properties: { note: { type: 'string', maxLength: 1000, description: 'shown by backup ls' } } },
        response: { 202: ref('Job'), ...errors(400, 401, 503) }
      }
    }, async (request, reply) => deps.backups === undefined ? noBackups(reply) : reply.code(202).send(deps.backups.create(request.body?.note ?? '')))

    api.post<{ Body: { dryRun?: boolean } | undefined }>('/backups/sweep', {
      schema: {
        summary: 'Remove orphan chunks (a sweep job): what the backup holders keep that no backup names, such as the chunks of a failed backup. Refused (the job fails) while a backup runs, or while backups of another key exist (done, or resumable). dryRun: counts them, removes nothing',
        security: bearer,
        body: { type: ['object', 'null'], additionalProperties: false, properties: { dryRun: { type: 'boolean' } } },
        response: { 202: ref('Job'), ...errors(400, 401, 409, 503) }
      }
    }, async (request, reply) => deps.backups === undefined ? noBackups(reply) : reply.code(202).send(deps.backups.sweep(request.body?.dryRun === true)))

    api.get<{ Params: { id: string } }>('/backups/:id', {
      schema: { summary: 'One backup as the catalog lists it', security: bearer, params: backupParams, response: { 200: ref('Backup'), ...errors(400, 401, 404, 503) } }
    }, async (request, reply) => deps.backups === undefined ? noBackups(reply) : await deps.backups.get(request.params.id))

    api.delete<{ Params: { id: string } }>('/backups/:id', {
      schema: {
        summary: 'Remove a backup: the chunks no other backup of its key names are removed from every holder, then its manifest and its catalog entry. 409 while a backup runs',
        security: bearer,
        params: backupParams,
        response: {
          200: { type: 'object', required: ['id', 'chunks', 'bytes'], properties: { id: { type: 'string' }, chunks: { type: 'integer', description: 'chunks removed from the holders' }, bytes: { type: 'integer', description: 'their plaintext bytes' } } },
          ...errors(400, 401, 404, 409, 503)
        }
      }
    }, async (request, reply) => deps.backups === undefined ? noBackups(reply) : { id: request.params.id, ...await deps.backups.remove(request.params.id) })

    api.get('/restores', {
      schema: {
        summary: 'The restores kept in the backup catalog (the running ones, and the last 100 ended), oldest first: how far each got (cursor of total entities), on which node; a restore whose node stops is resumed from its cursor. Dry runs are not kept',
        security: bearer,
        response: { 200: { type: 'array', items: ref('Restore') }, ...errors(401, 503) }
      }
    }, async (_request, reply) => deps.backups === undefined ? noBackups(reply) : await deps.backups.restores())

    api.post<{ Params: { id: string }, Body: { full?: boolean } | undefined }>('/backups/:id/verify', {
      schema: {
        summary: 'Check a backup (a verify job): every chunk on every holder that should keep it, against the manifest\'s digests and Merkle root; full: one copy of each chunk read back and hashed, every other challenged with a fresh nonce; else each holder re-reads and hashes its own copies',
        security: bearer,
        params: backupParams,
        body: { type: ['object', 'null'], additionalProperties: false, properties: { full: { type: 'boolean' } } },
        response: { 202: ref('Job'), ...errors(400, 401, 404, 503) }
      }
    }, async (request, reply) => {
      if (deps.backups === undefined) return noBackups(reply)
      await deps.backups.get(request.params.id)   // UnknownBackupError → 404 before a job starts
      return reply.code(202).send(deps.backups.verify(request.params.id, request.body?.full === true))
    })

    api.post<{ Params: { id: string }, Body: { room?: string, user?: string, since?: string, dryRun?: boolean } | undefined }>('/backups/:id/restore', {
      schema: {
        summary: 'Restore a backup (a restore job): every entity it holds, or one room, or one user\'s agent; each journal becomes the backup\'s records (what was written after it goes), the entity held still on its owner meanwhile. dryRun: nothing is written, the job lists what would change. Needs the key that made the backup',
        security: bearer,
        params: backupParams,
        body: {
          type: ['object', 'null'],
          additionalProperties: false,
          properties: {
            room: { type: 'string', minLength: 1, maxLength: 200, description: 'only this room' },
            user: { type: 'string', minLength: 1, maxLength: 200, description: 'only this user\'s agent' },
            since: { type: 'string', minLength: 1, maxLength: 40, description: 'ISO 8601: only the entities the backup holds a record of at or after this time' },
            dryRun: { type: 'boolean' }
          }
        },
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

    for (const mode of ['drain', 'decommission'] as const) {
      api.post<{ Params: { peerId: string }, Body: { force?: boolean } | undefined }>(`/nodes/:peerId/${mode}`, {
        schema: {
          summary: mode === 'drain'
            ? 'Drain a member (a drain job): it stops taking clients, its entities move live to the others, then it exits (it may be started again)'
            : 'Decommission a member (a decommission job): its entities move live, its storage partitions are handed off, then it leaves the cluster for good (its data dir never starts a node again)',
          security: bearer,
          params: { type: 'object', required: ['peerId'], properties: { peerId: { type: 'string', minLength: 1, maxLength: 128, pattern: '^[1-9A-HJ-NP-Za-km-z]+$' } } },
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
        if (forced !== undefined) notes.set(request, forced)
        return reply.code(202).send(await deps.migration.leave(request.params.peerId, mode))
      })
    }

    const tokensOf = (): AdminTokensView => {
      if (deps.tokens === undefined) throw httpError(503, 'UNAVAILABLE', 'this node keeps no named admin tokens')
      return deps.tokens
    }
    const tokenView = { type: 'object', required: ['name', 'scope', 'createdAt'], properties: { name: { type: 'string' }, scope: { type: 'string', enum: ['read', 'admin'] }, createdAt: { type: 'integer' } } } as const
    api.get('/tokens', {
      schema: { summary: 'This node\'s named admin tokens and their scopes (never the tokens: only their hashes are kept)', security: bearer, response: { 200: { type: 'array', items: tokenView }, ...errors(401, 503) } }
    }, async () => tokensOf().list().map((t) => ({ name: t.name, scope: t.scope, createdAt: t.createdAt })))

    api.post<{ Body: { name: string, scope?: 'read' | 'admin' } }>('/tokens', {
      schema: {
        summary: 'Make a named admin token for this node: scope read may only read (GET), scope admin may do everything; the token is shown this once',
        security: bearer,
        body: {
          type: 'object',
          required: ['name'],
          additionalProperties: false,
          properties: { name: { type: 'string', pattern: '^[a-z][a-z0-9_-]{0,31}$' }, scope: { type: 'string', enum: ['read', 'admin'], default: 'read' } }
        },
        response: { 201: { type: 'object', required: ['name', 'scope', 'token', 'createdAt'], properties: { ...tokenView.properties, token: { type: 'string' } } }, ...errors(400, 401, 403, 409, 503) }
      }
    }, async (request, reply) => {
      const { entry, token } = await tokensOf().add(request.body.name, request.body.scope ?? 'read')
      return reply.code(201).send({ name: entry.name, scope: entry.scope, token, createdAt: entry.createdAt })
    })

    api.delete<{ Params: { name: string } }>('/tokens/:name', {
      schema: {
        summary: 'Revoke a named admin token: it stops working at once',
        security: bearer,
        params: { type: 'object', required: ['name'], properties: { name: { type: 'string', pattern: '^[a-z][a-z0-9_-]{0,31}$' } } },
        response: { 200: tokenView, ...errors(400, 401, 403, 404, 503) }
      }
    }, async (request) => {
      const entry = await tokensOf().remove(request.params.name)
      return { name: entry.name, scope: entry.scope, createdAt: entry.createdAt }
    })

    api.get('/users', {
      schema: { summary: 'Users', security: bearer, response: { 200: { type: 'array', items: ref('User') }, ...errors(401) } }
    }, async () => await deps.users.list())

    api.post<{ Body: { name: string, clientId?: string } }>('/users', {
      schema: {
        summary: 'Create a user; the reply carries their token, shown this once',
        description: 'With a `clientId`, a retry is safe when an answer was lost (a timeout, a dropped connection): a try with the client id that stored the user answers 201 again with a new token, and the token the lost answer carried stops working. Without one, a second add of the name answers 409.',
        security: bearer,
        body: { type: 'object', required: ['name'], additionalProperties: false, properties: { name: adminSchemas.userNameParam, clientId: adminSchemas.clientId } },
        response: { 201: ref('NewUser'), ...errors(400, 401, 409) }
      }
    }, async (request, reply) => reply.code(201).send(await deps.users.add(request.body.name, request.body.clientId)))

    api.delete<{ Params: { name: string } }>('/users/:name', {
      schema: {
        summary: 'Remove a user and revoke their token', security: bearer,
        params: { type: 'object', required: ['name'], properties: { name: adminSchemas.userNameParam } },
        response: { 200: ref('User'), ...errors(400, 401, 404) }
      }
    }, async (request) => await deps.users.remove(request.params.name))

    const modelView = (m: ModelEntry, loaded: LoadedModel | undefined): Record<string, unknown> => ({
      name: m.name,
      sizeBytes: m.sizeBytes,
      runtime: m.runtime,
      status: m.status,
      ...(m.error !== undefined && { error: m.error }),
      ...(m.facts !== undefined && {
        architecture: m.facts.architecture, quantization: m.facts.quantization, parameters: m.facts.parameters, contextLength: m.facts.contextLength
      }),
      ...(m.remote !== undefined && { contextLength: m.remote.contextSize }),
      // this node, then the other members up whose records say they have it loaded
      loaded: [
        ...(loaded === undefined ? [] : [deps.self().peerId]),
        ...(deps.others?.() ?? []).filter((o) => o.status === 'up' && o.models?.includes(m.name) === true).map((o) => o.peerId).sort()
      ],
      ...(loaded !== undefined && {
        memoryBytes: loaded.memoryBytes, backend: loaded.backend, active: loaded.active, queued: loaded.queued, lastUsedAt: loaded.lastUsedAt
      })
    })
    const loadedByName = (): Map<string, LoadedModel> => new Map((deps.manager?.loaded() ?? []).map((m) => [m.model, m]))

    api.get('/models', {
      schema: { summary: 'Models in the models dir, validated before any is loaded, and where each is loaded', security: bearer, response: { 200: { type: 'array', items: ref('Model') }, ...errors(401) } }
    }, async () => {
      const models = deps.models === undefined ? [] : await deps.models.scan()
      const loaded = loadedByName()
      return models.map((m) => modelView(m, loaded.get(m.name)))
    })

    const modelRoute = { params: { type: 'object', required: ['name'], properties: { name: adminSchemas.modelNameParam } } } as const
    api.post<{ Params: { name: string } }>('/models/:name/load', {
      schema: {
        summary: 'Load a model now (and keep it until unloaded or evicted for memory); least recently used idle models are unloaded if the memory budget needs it',
        security: bearer,
        ...modelRoute,
        response: { 200: ref('Model'), ...errors(400, 401, 404, 409, 503) }
      }
    }, async (request) => {
      const { name } = request.params
      const manager = deps.manager
      if (manager === undefined || deps.models === undefined) throw httpError(404, 'NO_AI_ROLE', 'this node does not run models (it has no ai role)')
      await deps.models.scan()
      await manager.load(name)
      const entry = deps.models.get(name)
      if (entry === undefined) throw httpError(404, 'UNKNOWN_MODEL', `no model named ${name}`)
      return modelView(entry, loadedByName().get(name))
    })

    api.post<{ Params: { name: string } }>('/models/:name/unload', {
      schema: {
        summary: 'Unload a model: requests running on it fail with UNAVAILABLE, waiting ones too',
        security: bearer,
        ...modelRoute,
        response: { 200: ref('Model'), ...errors(400, 401, 404) }
      }
    }, async (request) => {
      const { name } = request.params
      const entry = deps.models?.get(name)
      if (entry === undefined) throw httpError(404, 'UNKNOWN_MODEL', `no model named ${name}; see GET /api/v1/models`)
      if (deps.manager === undefined || !await deps.manager.unload(name)) throw httpError(404, 'NOT_LOADED', `model ${name} is not loaded on this node`)
      return modelView(entry, undefined)
    })

    const statsBody = (): { node: string, intervalMs: number, samples: StatsSample[] } => ({
      node: deps.self().peerId, intervalMs: deps.stats?.intervalMs ?? 1000, samples: deps.stats?.samples() ?? []
    })
    const statsResponse = { type: 'object', required: ['node', 'intervalMs', 'samples'], properties: { node: { type: 'string' }, intervalMs: { type: 'integer' }, samples: { type: 'array', items: ref('StatsSample') } } } as const
    api.get('/stats', {
      schema: { summary: 'This node\'s rates (posts, deliveries, asks and their latency, tokens) and memory, sampled every interval: the last 5 minutes, oldest first', security: bearer, response: { 200: statsResponse, ...errors(401) } }
    }, async () => statsBody())

    api.get('/stats/stream', {
      schema: { summary: 'Server-Sent Events: `history` (the body of GET /stats) first, then a `sample` event each interval; 429 when 16 streams are open, or streams-per-ip from one address', security: bearer, produces: ['text/event-stream'], response: { ...errors(401, 429) } }
    }, async (request, reply) => streams.serve(request, reply, (stream) => {
      stream.send('history', statsBody())
      return deps.stats?.subscribe((sample) => { stream.send('sample', sample) }) ?? (() => {})
    }))

    const logsQuery = {
      type: 'object',
      additionalProperties: false,
      properties: {
        level: { type: 'string', enum: LOG_LEVEL_NAMES, default: 'info', description: 'the lowest level shown' },
        limit: { type: 'integer', minimum: 1, maximum: 1000, default: LOG_HISTORY }
      }
    } as const
    api.get<{ Querystring: { level: LogLevelName, limit: number } }>('/logs', {
      schema: {
        summary: 'The last lines this node logged at `level` or above (info by default), oldest first; the node keeps its last 1000',
        security: bearer,
        querystring: logsQuery,
        response: { 200: { type: 'object', required: ['entries'], properties: { entries: { type: 'array', items: ref('LogEntry') } } }, ...errors(400, 401) }
      }
    }, async (request) => ({ entries: deps.logs?.entries(request.query.level, request.query.limit) ?? [] }))

    api.get<{ Querystring: { level: LogLevelName, limit: number } }>('/logs/stream', {
      schema: {
        summary: 'Server-Sent Events: `history` ({entries}: the last `limit` lines at `level` or above) first, then an `entry` event for each line logged; 429 when 16 streams are open, or streams-per-ip from one address',
        security: bearer,
        querystring: logsQuery,
        produces: ['text/event-stream'],
        response: { ...errors(400, 401, 429) }
      }
    }, async (request, reply) => streams.serve(request, reply, (stream) => {
      const { level, limit } = request.query
      stream.send('history', { entries: deps.logs?.entries(level, limit) ?? [] })
      const min = LOG_LEVEL_NAMES.indexOf(level)
      return deps.logs?.subscribe((entry) => {
        if (LOG_LEVEL_NAMES.indexOf(entry.level) >= min) stream.send('entry', entry)
      }) ?? (() => {})
    }))

    const auditQuery = {
      type: 'object',
      additionalProperties: false,
      properties: {
        after: { type: 'integer', minimum: 0, default: 0, description: 'records with a seq above this' },
        limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 }
      }
    } as const
    const auditOf = (): AuditView => {
      if (deps.audit === undefined) throw httpError(503, 'UNAVAILABLE', 'this node keeps no audit trail')
      return deps.audit
    }
    api.get<{ Querystring: { after: number, limit: number } }>('/audit', {
      schema: {
        summary: 'The audit trail: every admin action and failed admin authentication on any member, oldest first, each with the hash of the one before',
        security: bearer,
        querystring: auditQuery,
        response: {
          200: {
            type: 'object',
            required: ['records', 'head'],
            properties: {
              records: { type: 'array', items: ref('AuditRecord') },
              head: { type: 'object', required: ['seq', 'hash'], properties: { seq: { type: 'integer' }, hash: { type: 'string' } }, description: 'the last record\'s seq and hash: the page of the newest records is after=seq-limit' }
            }
          },
          ...errors(400, 401, 503)
        }
      }
    }, async (request) => {
      const trail = auditOf()
      const [records, head] = await Promise.all([trail.list(request.query.after, request.query.limit), trail.head()])
      return { records, head }
    })

    api.get('/audit/verify', {
      schema: {
        summary: 'Reads the whole audit trail and checks that every record follows the one before (its hash and its link): ok, or where the chain breaks',
        security: bearer,
        response: {
          200: {
            type: 'object',
            required: ['ok', 'records', 'head', 'brokenAt', 'reason'],
            properties: {
              ok: { type: 'boolean' },
              records: { type: 'integer', description: 'records checked and found whole' },
              head: { type: 'object', required: ['seq', 'hash'], properties: { seq: { type: 'integer' }, hash: { type: 'string' } } },
              brokenAt: { type: ['integer', 'null'] },
              reason: { type: ['string', 'null'] }
            }
          },
          ...errors(401, 503)
        }
      }
    }, async () => await auditOf().verify())

    api.get('/rooms', {
      schema: { summary: 'Rooms that have at least one message or member', security: bearer, response: { 200: { type: 'array', items: ref('Room') }, ...errors(401) } }
    }, async () => {
      const rooms = await deps.system.entity(ROOMS, ROOM_DIRECTORY_KEY).ask<RoomSummary[]>((replyTo) => ({ type: 'list', replyTo }))
      const active = new Set(deps.system.entities('room').map((e) => e.key))
      return rooms.map((r) => ({ ...r, active: active.has(r.name) }))
    })
  }, { prefix: '/api/v1' })

  return app
}

/** The jobs routes' validation errors, saying what is expected: the kinds and states there are, and
 * what a job id looks like. */
function jobsValidationError (errors: FastifySchemaValidationError[], dataVar: string): Error {
  const e = errors[0]
  let message = `${dataVar}${e?.instancePath ?? ''} ${e?.message ?? 'is not valid'}`
  if (e?.keyword === 'enum' && Array.isArray(e.params.allowedValues)) message = `${dataVar}${e.instancePath} must be one of ${e.params.allowedValues.join(', ')}`
  if (dataVar === 'params' && (e?.keyword === 'pattern' || e?.keyword === 'maxLength')) message = `${dataVar}${e.instancePath} must be a job id: KIND-N-XXXX, such as drain-3-k7f2`
  if (e?.keyword === 'additionalProperties') message = `${dataVar} must NOT have additional properties: the filters are kind and state`
  return new Error(message)
}

/** The main admin token, or a named one with its scope; undefined for no token or a wrong one. */
function principalOf (request: FastifyRequest, adminToken: string, tokens: AdminTokensView | undefined): Principal | undefined {
  if (authorized(request, adminToken)) return { actor: 'admin', scope: 'admin' }
  const header = request.headers.authorization
  if (tokens === undefined || typeof header !== 'string' || !header.startsWith('Bearer ')) return undefined
  const named = tokens.match(header.slice(7).trim())
  return named === undefined ? undefined : { actor: `token:${named.name}`, scope: named.scope }
}

function authorized (request: FastifyRequest, token: string): boolean {
  const header = request.headers.authorization
  return typeof header === 'string' && header.startsWith('Bearer ') && tokenMatches(header.slice(7).trim(), token)
}

function unauthorized (reply: FastifyReply, what: string): FastifyReply {
  void reply.header('www-authenticate', 'Bearer')
  return sendError(reply, 401, 'UNAUTHORIZED', `missing or wrong ${what}: send "Authorization: Bearer <token>"`)
}
