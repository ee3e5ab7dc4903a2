import type { FastifyInstance } from 'fastify'
import type { ActorSystem } from '../../actors/index.ts'
import type { Member } from '../../protocols/index.ts'
import type { InferenceBackend, ModelManager, ModelRegistry } from '../../runtimes/index.ts'
import type { ClientLimits } from '../limits/index.ts'
import type { ToolPolicy, UserAccounts } from '../users/index.ts'
import { AdminWrites } from './admin-writes.ts'
import { auditHook } from './audit-hook.ts'
import { bearerAuth } from './bearer-auth.ts'
import type { EventStreams } from './event-streams.ts'
import type { WriteQuorumView } from './quorum-guard.ts'
import { decorateRequestIdentity } from './request-identity.ts'
import { actorsRoutes } from './routes/actors-routes.ts'
import type { ActorListing, EntityMoves, EntityPartitions } from './routes/actors-routes.ts'
import { auditRoutes } from './routes/audit-routes.ts'
import type { AuditView } from './routes/audit-routes.ts'
import { backupsRoutes } from './routes/backups-routes.ts'
import { erasureRoutes } from './routes/erasure-routes.ts'
import type { ErasureAdmin } from './routes/erasure-routes.ts'
import { retentionRoutes } from './routes/retention-routes.ts'
import type { RetentionAdmin } from './routes/retention-routes.ts'
import type { BackupsAdmin } from './routes/backups-routes.ts'
import { clusterRoutes } from './routes/cluster-routes.ts'
import { jobsRoutes } from './routes/jobs-routes.ts'
import type { JobsAdmin } from './routes/jobs-routes.ts'
import { logsRoutes } from './routes/logs-routes.ts'
import type { LogsView } from './routes/logs-routes.ts'
import { mcpServersRoutes } from './routes/mcp-servers-routes.ts'
import type { McpServersRoutesDeps } from './routes/mcp-servers-routes.ts'
import { statsRoutes } from './routes/metrics-routes.ts'
import type { StatsView } from './routes/metrics-routes.ts'
import { modelsRoutes } from './routes/models-routes.ts'
import { modelPullRoutes } from './routes/model-pull-routes.ts'
import type { ModelPullAdmin } from './routes/model-pull-routes.ts'
import { nodesRoutes } from './routes/nodes-routes.ts'
import type { MemberLeaves, RoleChanges } from './routes/nodes-routes.ts'
import { partitionsRoutes } from './routes/partitions-routes.ts'
import { pluginsRoutes } from './routes/plugins-routes.ts'
import type { PluginsAdmin } from './routes/plugins-routes.ts'
import type { PartitionsView } from './routes/partitions-routes.ts'
import { restoresRoutes } from './routes/restores-routes.ts'
import { roomsRoutes } from './routes/rooms-routes.ts'
import { searchRoutes } from './routes/search-routes.ts'
import type { SearchAdmin } from './routes/search-routes.ts'
import { storageRoutes } from './routes/storage-routes.ts'
import type { StorageView } from './routes/storage-routes.ts'
import { tokensRoutes } from './routes/tokens-routes.ts'
import { transferRoutes } from './routes/transfer-routes.ts'
import type { Exporter } from '../transfer/index.ts'
import type { AdminTokensView } from './routes/tokens-routes.ts'
import { userToolsRoutes } from './routes/user-tools-routes.ts'
import { usersRoutes } from './routes/users-routes.ts'

/** What the admin API asks of the cluster (node/mesh ClusterAdmin): listings across the cluster
 * (this node alone without a cluster key) and role changes. */
export type ClusterAdmin = ActorListing & RoleChanges
/** What the admin API asks of live migration (node/migration MigrationAdmin): each starts a job. */
export type MigrationAdmin = EntityMoves & MemberLeaves
/** What the admin API asks of replication (node/replication ReplicationAdmin). */
export type ReplicationView = PartitionsView & StorageView & Pick<EntityPartitions, 'partitionOf'>

/** Everything the /api/v1 scope uses; each resource is handed only its part. */
export interface AdminApiDeps {
  readonly system: ActorSystem
  readonly users: UserAccounts
  readonly adminToken: string
  readonly self: () => Member
  /** The other members this node knows of (absent: none). */
  readonly others?: (() => Member[]) | undefined
  readonly cluster: ClusterAdmin
  /** Partitions and their replicas (absent: the routes answer with none). */
  readonly replication?: ReplicationView | undefined
  /** Every member's jobs (absent: none are listed, and none is found). */
  readonly jobs?: JobsAdmin | undefined
  /** Admin moves: an entity to a node, a member drained or decommissioned (absent: 503). */
  readonly migration?: MigrationAdmin | undefined
  /** The write quorum as this node sees it: shown in /cluster, and a drain, decommission or removal
   * of the storage role that would lose it is refused unless forced (absent: none is). */
  readonly writes?: WriteQuorumView | undefined
  /** Backups: the catalog, and jobs that make and check them (absent: 503). */
  readonly backups?: BackupsAdmin | undefined
  /** The node's models (absent: the route lists none). */
  readonly models?: ModelRegistry | undefined
  /** What is loaded, and load/unload (absent: nothing is, and the routes answer 404). */
  readonly manager?: ModelManager | undefined
  /** The llama.cpp backend found at start (absent: the node has no ai role). */
  readonly inferenceBackend?: InferenceBackend | undefined
  /** Pulls of models (node/model-pull; absent: the node has no ai role, and the route answers 404). */
  readonly modelPulls?: ModelPullAdmin | undefined
  /** The node's rates, sampled every interval (absent: none are, and the routes list none). */
  readonly stats?: StatsView | undefined
  /** The last lines the node logged (absent: the routes list none). */
  readonly logs?: LogsView | undefined
  /** The cluster's audit trail (absent: nothing is recorded, and the routes answer 503). */
  readonly audit?: AuditView | undefined
  /** This node's named admin tokens with their scopes (absent: the main admin token alone). */
  readonly tokens?: AdminTokensView | undefined
  /** The node's limits per client address, shared with its other endpoints (absent: none). */
  readonly clients?: ClientLimits | undefined
  /** The cluster's plugins (node/plugin-registry; absent: the routes answer 503). */
  readonly plugins?: PluginsAdmin | undefined
  /** The users' tool policies: which tools each user's agent may use (absent: those routes answer 503). */
  readonly toolPolicy?: ToolPolicy | undefined
  /** The MCP servers registered for the cluster (node/plugins McpServers; absent: those routes answer 503). */
  readonly mcpServers?: McpServersRoutesDeps['servers']
  /** Each plugins-role member's connection to each registered server (node/plugins ServerStatus;
   * absent: servers are listed without it). */
  readonly mcpServerStatus?: McpServersRoutesDeps['status']
  /** Erasure of users (node/erasure UserErasure; absent: the route answers 503). */
  readonly erasure?: ErasureAdmin | undefined
  /** Reads this node's store for a text (node/erasure scanStore; absent: the scan route answers 503). */
  readonly scanStore?: ((text: string) => Promise<{ holding: number, scanned: number }>) | undefined
  /** Retention (node/erasure RetentionRunner and the config's default; absent: the job's route
   * answers 503, and the default reads keep forever). */
  readonly retention?: RetentionAdmin | undefined
  /** Search over every partition (node/search; absent: the route answers 503). */
  readonly search?: SearchAdmin | undefined
  /** Exports (node/transfer): absent, one that asks rooms' owners for every page. */
  readonly exporter?: Exporter | undefined
}

/**
 * The /api/v1 scope: authentication, request identity and the audit trail once here (hooks and
 * request decorations every resource inherits), then each resource as a plugin of its own, handed
 * only what it uses.
 */
export function adminApi (deps: AdminApiDeps, streams: Pick<EventStreams, 'serve'>) {
  return async (api: FastifyInstance): Promise<void> => {
    decorateRequestIdentity(api)
    api.addHook('onRequest', bearerAuth({ adminToken: deps.adminToken, tokens: deps.tokens, clients: deps.clients }))
    const changes = new AdminWrites()
    const audit = deps.audit
    // every record the hook adds to the trail is told as a change: a failed authentication (a GET's
    // 401 too, at most 30 a minute) must be in the next page of /audit read here
    if (audit !== undefined) {
      api.addHook('onSend', auditHook({
        record: async (entry) => { await audit.record(entry); changes.tell() },
        failedAuthentication: () => audit.failedAuthentication()
      }, deps.self))
    }
    api.addHook('onSend', changes.hook())
    const { self, others, writes, replication, migration } = deps
    await api.register(clusterRoutes({ self, others, writes, changes }))
    await api.register(nodesRoutes({ self, others, writes, changes, cluster: deps.cluster, migration }))
    await api.register(actorsRoutes({ system: deps.system, cluster: deps.cluster, replication, migration, writes: changes }))
    await api.register(partitionsRoutes({ replication, writes: changes }))
    await api.register(storageRoutes({ replication, writes: changes }))
    await api.register(jobsRoutes({ jobs: deps.jobs, writes: changes }))
    await api.register(backupsRoutes({ backups: deps.backups }))
    await api.register(restoresRoutes({ system: deps.system, backups: deps.backups }))
    await api.register(tokensRoutes({ tokens: deps.tokens }))
    await api.register(usersRoutes({ users: deps.users }))
    await api.register(userToolsRoutes({ users: deps.users, toolPolicy: deps.toolPolicy }))
    await api.register(modelsRoutes({ self, others, models: deps.models, manager: deps.manager, backend: deps.inferenceBackend }))
    await api.register(modelPullRoutes({ pulls: deps.modelPulls }))
    await api.register(statsRoutes({ self, stats: deps.stats, streams }))
    await api.register(logsRoutes({ logs: deps.logs, streams }))
    await api.register(auditRoutes({ audit: deps.audit, writes: changes }))
    await api.register(roomsRoutes({ system: deps.system }))
    await api.register(erasureRoutes({ system: deps.system, erasure: deps.erasure, scanStore: deps.scanStore }))
    await api.register(retentionRoutes({ system: deps.system, retention: deps.retention, writes: changes }))
    await api.register(transferRoutes({ system: deps.system, exporter: deps.exporter }))
    await api.register(searchRoutes({ search: deps.search }))
    await api.register(pluginsRoutes({ plugins: deps.plugins }))
    await api.register(mcpServersRoutes({ servers: deps.mcpServers, status: deps.mcpServerStatus }))
  }
}
