import { RetentionRunner, UserErasure } from '../../node/erasure/index.ts'
import type { FastifyInstance } from 'fastify'
import { ActorSystem, auditLog, chatRoom, erasureLog, retentionPolicy, roomDirectory, toolPolicy, userDirectory } from '../../actors/index.ts'
import { actorMetrics, jobMetrics } from '../../node/metrics/index.ts'
import { AdminTokens, AuditTrail, ClusterJobs, Jobs, LevelStore, LogTail, NodeMetrics, ReplicationAdmin, StatsSampler, UserAccounts, buildAdminServer, openLocalJournal } from '../../node/index.ts'
import { ToolPolicy } from '../../node/users/index.ts'
import type { Readiness, ReplicatedJournal } from '../../node/index.ts'
import type { NodeRole } from '../../actors/index.ts'
import type { ClientLimits, TrustedProxies } from '../../node/limits/index.ts'
import type { AdminServerDeps } from '../../node/admin/index.ts'
import { Cluster, NodeRoles } from '../../node/mesh/index.ts'
import type { Member } from '../../protocols/index.ts'
import { tempDir } from './temp-dir.ts'

export const ADMIN_TOKEN = 'admin-token-for-tests-0123456789'
export const NODE_ID = '12D3KooWTest'

/**
 * The admin endpoint of a lone node as startNode wires it (a real actor system, store, users and
 * a cluster of one), built and not listening: tests use inject(), or listen for what only a
 * socket shows. `build()` again after changing `readiness`, `metricsToken`, `clients` or `proxies`.
 */
export class AdminFixture {
  app!: FastifyInstance
  store!: LevelStore
  journal!: ReplicatedJournal
  system!: ActorSystem
  /** The node's jobs (repairs are registered there too). */
  jobs!: Jobs
  readiness: Readiness = 'ready'
  metricsToken: string | undefined
  /** The node's limits per client address (none unless a test sets them). */
  clients: ClientLimits | undefined
  proxies: TrustedProxies | undefined
  /** The write quorum the endpoint shows and guards (none unless a test sets one). */
  writes: AdminServerDeps['writes']
  /** The node's backups (none unless a test sets them: test/helpers/lone-backups.ts). */
  backups: AdminServerDeps['backups']
  /** The cluster's plugins (none unless a test sets them: test/helpers/lone-plugins.ts). */
  plugins: AdminServerDeps['plugins']
  /** The registered MCP servers and their members' connections (none unless a test sets them:
   * test/helpers/lone-servers.ts). */
  mcpServers: AdminServerDeps['mcpServers']
  mcpServerStatus: AdminServerDeps['mcpServerStatus']
  /** The roles this node's member record says it holds. */
  roles: string[] = ['chat']
  /** The node's log tail, as `plexi node start` keeps it (tests push lines into it). */
  logTail!: LogTail
  /** The stats sampler, never started: tests take samples with `sample()`, on `clock`. */
  sampler!: StatsSampler
  /** The node's named admin tokens (in the fixture's temp dir). */
  tokens!: AdminTokens
  /** The audit trail, as startNode wires it (its clock is `clock`). */
  audit!: AuditTrail
  /** The sampler's clock (ms). */
  clock = 1_000_000
  #dir: { path: string, remove: () => Promise<void> } | undefined
  #cluster!: Cluster
  #metrics!: NodeMetrics

  readonly self = (): Member => ({
    peerId: NODE_ID, roles: [...this.roles], status: this.readiness === 'ready' ? 'up' : 'joining',
    addresses: { grpc: '127.0.0.1:7400', admin: '127.0.0.1:7402', p2p: [] },
    load: { actors: 1, entities: 0, mailbox: 0, rssBytes: 1 }, capacity: 2, startedAt: 1, version: 'test'
  })

  /** `roles`: the roles this node holds (placement follows them; its member record says them).
   * @default ['chat'] */
  async setup ({ roles = ['chat'] }: { roles?: readonly NodeRole[] } = {}): Promise<void> {
    this.#dir = await tempDir()
    this.store = await LevelStore.open(this.#dir.path)
    this.journal = await openLocalJournal(this.store, { self: NODE_ID })
    this.system = new ActorSystem({ node: NODE_ID, journal: this.journal, strictSerialization: true })
    this.system.registerEntity(chatRoom)
    this.system.registerEntity(roomDirectory)
    this.system.registerEntity(userDirectory)
    this.system.registerEntity(erasureLog)
    this.system.registerEntity(retentionPolicy)
    this.system.registerEntity(auditLog)
    this.system.registerEntity(toolPolicy)
    this.jobs = new Jobs({ node: NODE_ID })
    this.#cluster = await Cluster.start({
      system: this.system, heads: this.journal, roles: new NodeRoles(roles), capacity: 1, p2p: undefined, serving: () => true,
      onViewChange: () => undefined, refreshMs: 1_000, log: { info: () => undefined, warn: () => undefined, debug: () => undefined }, jobs: this.jobs
    })
    this.#metrics = new NodeMetrics(this.store)
    actorMetrics(this.#metrics.registry, this.system)
    jobMetrics(this.#metrics.registry, this.jobs)
    this.logTail = new LogTail()
    this.tokens = await AdminTokens.open(this.#dir.path)
    this.audit = new AuditTrail({ system: this.system, log: { warn: () => undefined }, now: () => this.clock })
    const m = this.#metrics
    this.sampler = new StatsSampler({
      chatMessages: m.chatMessages, chatDeliveries: m.chatDeliveries, askDuration: m.askDuration, inferenceTokens: m.inferenceTokens,
      members: () => [this.self()].map((s) => ({ peerId: s.peerId, status: s.status, ...s.load })),
      now: () => this.clock
    })
    this.readiness = 'ready'
    this.metricsToken = undefined
    this.clients = undefined
    this.proxies = undefined
    this.writes = undefined
    this.backups = undefined
    this.plugins = undefined
    this.mcpServers = undefined
    this.mcpServerStatus = undefined
    this.roles = [...roles]
    await this.build()
  }

  /** The fixture's data dir. */
  get dataDir (): string {
    return this.#dir?.path ?? ''
  }

  get metrics (): NodeMetrics {
    return this.#metrics
  }

  /** The node's remoting port (what its actors reach other nodes' actors by). */
  get port (): Cluster['port'] {
    return this.#cluster.port
  }

  /** The cluster's admin side (listings, role changes), as the endpoint is given it. */
  get cluster (): Cluster['admin'] {
    return this.#cluster.admin
  }

  async build (): Promise<void> {
    await this.app?.close()
    this.app = await buildAdminServer({
      system: this.system, users: new UserAccounts(this.system), toolPolicy: new ToolPolicy({ system: this.system }), metrics: this.#metrics, cluster: this.#cluster.admin,
      replication: new ReplicationAdmin({ system: this.system, journal: this.journal, members: () => [], log: { warn: () => undefined }, jobs: this.jobs }),
      jobs: new ClusterJobs({ system: this.system, jobs: this.jobs, members: () => [], log: { debug: () => undefined } }),
      adminToken: ADMIN_TOKEN, metricsToken: this.metricsToken, readiness: () => this.readiness, self: this.self, stats: this.sampler, logs: this.logTail, audit: this.audit, tokens: this.tokens, logger: false,
      ...(this.clients !== undefined && { clients: this.clients }),
      ...(this.proxies !== undefined && { proxies: this.proxies }),
      ...(this.writes !== undefined && { writes: this.writes }),
      ...(this.backups !== undefined && { backups: this.backups }),
      ...(this.plugins !== undefined && { plugins: this.plugins }),
      ...(this.mcpServers !== undefined && { mcpServers: this.mcpServers }),
      ...(this.mcpServerStatus !== undefined && { mcpServerStatus: this.mcpServerStatus }),
      erasure: new UserErasure({ system: this.system, jobs: this.jobs, users: new UserAccounts(this.system), members: () => [], storageMembers: () => [] }),
      retention: new RetentionRunner({ system: this.system, jobs: this.jobs, defaults: () => undefined, storageMembers: () => [] })
    })
  }

  async teardown (): Promise<void> {
    await this.app?.close()
    await this.#cluster?.stop()
    await this.system?.terminate()
    await this.store?.close()
    await this.#dir?.remove()
  }
}
