import { scanStore } from '../erasure/index.ts'
import { formatHostPort } from '../../config/index.ts'
import type { HostPort } from '../../config/index.ts'
import { AGENT } from '../../actors/index.ts'
import { describe } from '../../protocols/index.ts'
import { loadNodeServices, loadRetryInfoTypes } from '../../protocols/grpc/index.ts'
import { AuditTrail, buildAdminServer } from '../admin/index.ts'
import { RateLimiter, SubscribeEncoder, agentServiceHandlers, chatServiceHandlers, clientInterceptor, startGrpcServer } from '../grpc/index.ts'
import type { GrpcService } from '../grpc/index.ts'
import { ClusterJobs } from '../jobs/index.ts'
import { ClientLimits, TrustedProxies } from '../limits/index.ts'
import { OwnerAddresses, clientAddresses, memberOf } from '../mesh/index.ts'
import { StatsSampler, auditMetrics, clientLimitMetrics } from '../metrics/index.ts'
import { MigrationAdmin } from '../migration/index.ts'
import { ReplicationAdmin } from '../replication/index.ts'
import { checkSearchQuery } from '../search/index.ts'
import type { PartComponents } from './components.ts'
import { repairHooks } from './kernel-parts.ts'
import { INTERRUPT_GRACE_MS } from './constants.ts'
import type { NodeComponents } from './node-components.ts'
import type { PartSpec } from './part-list.ts'

type C = PartComponents<NodeComponents>

/** The users' tokens as this node keeps them, refreshed once the node is ready; stopped here. */
export const directoryViewPart: PartSpec<NodeComponents> = {
  id: 'directory-view',
  needs: ['directoryView'],
  gives: [],
  start: (c: C) => {
    const view = c.get('directoryView')
    return { stop: () => view.stop() }
  }
}

/** The dashboard's live charts and `plexi admin top`: this node's rates, every member's memory. */
export const statsPart: PartSpec<NodeComponents> = {
  id: 'stats',
  needs: ['log', 'metrics', 'self', 'cluster', 'serviceFailures'],
  gives: ['stats'],
  start: (c: C) => {
    const metrics = c.get('metrics')
    const self = c.get('self')
    const cluster = c.get('cluster')
    const sampler = new StatsSampler({
      chatMessages: metrics.chatMessages,
      chatDeliveries: metrics.chatDeliveries,
      askDuration: metrics.askDuration,
      inferenceTokens: metrics.inferenceTokens,
      members: () => [self.member(), ...cluster.members().map(memberOf)].map((m) => ({
        peerId: m.peerId, status: m.status, rssBytes: m.load.rssBytes, actors: m.load.actors, entities: m.load.entities, mailbox: m.load.mailbox
      }))
    }, { failures: c.get('serviceFailures'), log: c.get('log').child({ component: 'stats' }) })
    sampler.start()
    c.provide('stats', sampler, 'stats')
    return { stop: () => sampler.stop() }
  }
}

/**
 * Every admin action and failed admin authentication, in the cluster's hash-chained trail; one set
 * of limits per client address for every endpoint of this node (a client cannot get three times
 * the rate, or guess tokens three times as fast, by spreading over them); the proxies whose
 * X-Forwarded-For names the client.
 */
export const clientLimitsPart: PartSpec<NodeComponents> = {
  id: 'client-limits',
  needs: ['config', 'log', 'system', 'metrics'],
  gives: ['audit', 'clients', 'proxies'],
  start: (c: C) => {
    const config = c.get('config')
    const metrics = c.get('metrics')
    const audit = new AuditTrail({ system: c.get('system'), log: c.get('log').child({ component: 'audit' }) })
    auditMetrics(metrics.registry, audit.stats)
    const clients = new ClientLimits({ rate: config.ipRate, burst: config.ipBurst, authFailures: config.authFailuresPerMin, streams: config.streamsPerIp, userRate: config.userRate, userBurst: config.userBurst })
    const proxies = new TrustedProxies(config.trustedProxies)
    if (proxies.size > 0) c.get('log').info({ trustedProxies: config.trustedProxies }, `trusting X-Forwarded-For from ${config.trustedProxies.join(', ')}`)
    clientLimitMetrics(metrics.registry, clients.stats)
    c.provide('audit', audit, 'client-limits')
    c.provide('clients', clients, 'client-limits')
    c.provide('proxies', proxies, 'client-limits')
    return { stop: () => undefined }
  }
}

/** The admin endpoint (HTTP, or HTTPS with a TLS pair): the API, /metrics and the dashboard. */
export const adminPart: PartSpec<NodeComponents> = {
  id: 'admin',
  needs: ['config', 'log', 'logTail', 'preflight', 'state', 'reach', 'system', 'users', 'toolPolicy', 'metrics', 'self', 'cluster', 'p2p', 'journal', 'roster', 'repairs', 'jobs', 'writeQuorum', 'backups', 'erasure', 'retention', 'store', 'models', 'manager', 'inferenceBackend', 'modelPulls', 'stats', 'audit', 'clients', 'proxies', 'pluginRegistry', 'mcpServers', 'mcpServerStatus', 'search', 'exporter'],
  gives: ['admin'],
  start: async (c: C) => {
    const config = c.get('config')
    const log = c.get('log')
    const { identity, clusterKey, adminToken, adminTokens, tls } = c.get('preflight')
    const system = c.get('system')
    const cluster = c.get('cluster')
    const p2p = c.get('p2p')
    const jobs = c.get('jobs')
    const state = c.get('state')
    const self = c.get('self')
    const logTail = c.get('logTail')
    const app = await buildAdminServer({
      system,
      users: c.get('users'),
      toolPolicy: c.get('toolPolicy'),
      metrics: c.get('metrics'),
      adminToken: adminToken.token,
      metricsToken: config.metricsToken,
      readiness: () => state.now,
      self: () => self.member(),
      others: () => cluster.members().map(memberOf),
      cluster: cluster.admin,
      replication: new ReplicationAdmin({ system, journal: c.get('journal'), members: () => cluster.members(), log, parts: repairHooks(c.get('repairs')), jobs, ...(clusterKey !== undefined && { roster: c.get('roster') }) }),
      jobs: new ClusterJobs({ system, jobs, members: () => cluster.members(), log }),
      writes: c.get('writeQuorum'),
      ...(clusterKey !== undefined && {
        migration: new MigrationAdmin({ system, jobs, members: () => p2p?.members().filter((m) => m.peerId !== identity.peerId) ?? [], candidacy: (peer, role) => cluster.candidacy(peer, role), awaitCandidate: async (peer, role, ms) => await cluster.awaitCandidate(peer, role, ms), busyMs: config.migrationTimeout, graceMs: INTERRUPT_GRACE_MS })
      }),
      backups: c.get('backups'),
      erasure: c.get('erasure'),
      scanStore: async (text: string) => await scanStore(c.get('store'), text),
      retention: c.get('retention'),
      plugins: c.get('pluginRegistry'),
      mcpServers: c.get('mcpServers'),
      mcpServerStatus: c.get('mcpServerStatus'),
      search: { search: async (q, v) => await c.get('search').search(q, v), check: checkSearchQuery },
      exporter: c.get('exporter'),
      models: c.get('models'),
      manager: c.get('manager'),
      inferenceBackend: c.get('inferenceBackend'),
      modelPulls: c.get('modelPulls'),
      stats: c.get('stats'),
      audit: c.get('audit'),
      tokens: adminTokens,
      clients: c.get('clients'),
      proxies: c.get('proxies'),
      ...(logTail !== undefined && { logs: logTail }),
      logger: log,
      ...(tls !== undefined && { https: { cert: tls.cert, key: tls.key } })
    })
    try {
      c.get('reach').admin = await listen(app, config.adminListen, tls === undefined ? 'admin HTTP' : 'admin HTTPS')
    } catch (err) {
      await app.close()
      throw err
    }
    c.provide('admin', app, 'admin')
    return { stop: async () => { await app.close() } }
  }
}

/** The gRPC server: chat and agent services, every call served on every node (rooms and agents
 * are reached wherever placement put them). Its services, their handlers (`clientServices`), are
 * the user listener's too (node/web: gRPC-Web). */
export const grpcPart: PartSpec<NodeComponents> = {
  id: 'grpc',
  needs: ['config', 'log', 'preflight', 'state', 'reach', 'system', 'cluster', 'users', 'toolPolicy', 'toolsPort', 'gateway', 'asker', 'metrics', 'clients', 'proxies', 'search', 'exporter', 'tracing'],
  gives: ['grpc', 'clientServices'],
  start: async (c: C) => {
    const config = c.get('config')
    const log = c.get('log')
    const system = c.get('system')
    const users = c.get('users')
    const metrics = c.get('metrics')
    const state = c.get('state')
    const clients = c.get('clients')
    const limitUser = (user: string): void => { clients.userRequest('grpc', user) }
    const retryTypes = loadRetryInfoTypes()
    const services = loadNodeServices()
    const { service: chatService, encoder } = SubscribeEncoder.install(services.chat)
    // an Agent call answered here names the node of the caller's agent when it is another one
    const cluster = c.get('cluster')
    const owners = new OwnerAddresses({ placement: cluster.placement, hosts: (type, key) => cluster.port.hosts(type, key), members: () => cluster.members() })
    const agentNode = (user: string): string | undefined => {
      const role = cluster.port.roleOf(AGENT.type)
      return role === undefined ? undefined : owners.of(AGENT.type, role, user)
    }
    const grpc = await startGrpcServer(config.grpcListen, provideServices(c, retryTypes, [
      {
        service: chatService,
        handlers: chatServiceHandlers({
          system,
          users,
          gateway: c.get('gateway'),
          limiter: new RateLimiter({ rate: config.chatRate, burst: config.chatBurst }),
          limitUser,
          maxMessageBytes: config.maxMessageBytes,
          streamBuffer: config.streamBuffer,
          retryTypes,
          encoder,
          log,
          accepting: () => state.ready,
          onPosted: () => { metrics.chatMessages.inc() },
          search: { search: async (q, v) => await c.get('search').search(q, v), check: checkSearchQuery },
          exporter: c.get('exporter'),
          nodes: () => clientAddresses({ grpc: formatHostPort(c.get('reach').grpc), web: c.get('reach').web }, cluster.members()),
          streams: { opened: () => { metrics.grpcStreamsOpen.inc() }, closed: () => { metrics.grpcStreamsOpen.dec() }, delivered: () => { metrics.chatDeliveries.inc() } }
        })
      },
      {
        service: services.agent,
        handlers: agentServiceHandlers({ system, users, asker: c.get('asker'), toolPolicy: c.get('toolPolicy'), toolProvider: c.get('toolsPort'), maxMessageBytes: config.maxMessageBytes, retryTypes, log, accepting: () => state.ready, limitUser, exporter: c.get('exporter'), agentNode })
      }
    ]), services.definition, c.get('preflight').tls, [clientInterceptor(clients, retryTypes, c.get('proxies'))], { spans: c.get('tracing').spans, log })
    c.get('reach').grpc = grpc.address
    c.provide('grpc', grpc, 'grpc')
    return { stop: () => { grpc.server.forceShutdown() } }
  }
}

/** `services` as the component `clientServices` (with the retry types their statuses use). */
function provideServices (c: C, retryTypes: ReturnType<typeof loadRetryInfoTypes>, services: GrpcService[]): GrpcService[] {
  c.provide('clientServices', { services, retryTypes }, 'grpc')
  return services
}

/** The OpenAI-compatible endpoint, when openai-listen is set, with Plexi's MCP server at /mcp
 * (node/mcp-server: it rides this listener, its authentication and its limits). */
export const openAiPart: PartSpec<NodeComponents> = {
  id: 'openai',
  needs: ['config', 'log', 'preflight', 'startedAt', 'users', 'models', 'inference', 'asker', 'clients', 'proxies', 'system', 'metrics', 'serviceFailures'],
  gives: ['openai'],
  runs: (c: C) => c.get('config').openaiListen !== undefined,
  start: async (c: C) => {
    const config = c.get('config')
    const tls = c.get('preflight').tls
    const address = config.openaiListen as HostPort
    const metrics = c.get('metrics')
    // loaded only here: the MCP SDK and zod are about 200 modules, the OpenAI routes and their
    // schemas 14 more, that a node without this endpoint never runs (docs/performance.md, "Idle memory")
    const [{ mcpBackend, mcpMetrics, mcpRoutes }, { buildOpenAiServer, openAiBackend }] = await Promise.all([import('../mcp-server/index.ts'), import('../openai/index.ts')])
    const mcp = mcpRoutes({
      // posts from MCP clients have their own chat-rate budget on this node, as gRPC's have
      backend: mcpBackend({ system: c.get('system'), asker: c.get('asker'), limiter: new RateLimiter({ rate: config.chatRate, burst: config.chatBurst }), maxMessageBytes: config.maxMessageBytes, onPosted: () => { metrics.chatMessages.inc() } }),
      listenHost: address.host,
      clients: c.get('clients'),
      metrics: mcpMetrics(metrics.registry),
      failures: c.get('serviceFailures'),
      log: c.get('log').child({ component: 'mcp' })
    })
    const app = await buildOpenAiServer({
      backend: openAiBackend({ users: c.get('users'), registry: c.get('models'), inference: c.get('inference'), asker: c.get('asker'), startedAt: Math.floor(c.get('startedAt') / 1000) }),
      logger: c.get('log').child({ component: 'openai' }),
      defaults: { maxTokens: config.agentMaxTokens, maxTokensLimit: config.contextSize },
      clients: c.get('clients'),
      proxies: c.get('proxies'),
      routes: [mcp],
      ...(tls !== undefined && { https: { cert: tls.cert, key: tls.key } })
    })
    try {
      c.provide('openai', { address: await listen(app, address, 'the OpenAI-compatible API') }, 'openai')
    } catch (err) {
      await app.close()
      throw err
    }
    return { stop: async () => { await app.close() } }
  }
}

/** Listens on `address` (port 0: any free port) and returns where it listens. */
export async function listen (app: { listen (opts: { host: string, port: number }): Promise<unknown>, server: { address (): unknown } }, address: HostPort, what: string): Promise<HostPort> {
  try {
    await app.listen({ host: address.host, port: address.port })
  } catch (err) {
    throw new Error(`cannot listen for ${what} on ${formatHostPort(address)}: ${describe(err)}`, { cause: err })
  }
  const bound = app.server.address()
  return bound !== null && typeof bound === 'object' ? { host: address.host, port: (bound as { port: number }).port } : address
}
