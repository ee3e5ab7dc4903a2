import { mkdir } from 'node:fs/promises'
import { availableParallelism, totalmem } from 'node:os'
import { join } from 'node:path'
import { ActorSystem, chatRoom, describe, roomDirectory, userAgent, userDirectory } from '../actors/index.ts'
import type { ActorRef } from '../actors/index.ts'
import { ConfigError, formatHostPort } from '../config/index.ts'
import type { HostPort, NodeConfig, Role } from '../config/index.ts'
import { loadAgentService, loadChatService, loadRetryInfoTypes } from '../protocols/index.ts'
import { buildAdminServer } from './admin/admin-server.ts'
import type { Member, Readiness } from './admin/admin-server.ts'
import { chatGateway } from './grpc/chat-gateway.ts'
import type { GatewayMsg } from './grpc/chat-gateway.ts'
import { chatServiceHandlers } from './grpc/chat-service.ts'
import { SubscribeEncoder } from './grpc/chat-wire.ts'
import { startGrpcServer, stopGrpcServer } from './grpc/grpc-server.ts'
import { RateLimiter } from './grpc/rate-limiter.ts'
import { resolveAdminToken } from './identity/admin-token.ts'
import { loadPeerIdentity } from './identity/peer-identity.ts'
import { NodeMetrics } from './metrics/node-metrics.ts'
import { LevelStore } from './storage/index.ts'
import { STORE_DIR, VERSION } from './constants.ts'
import { LlamaRuntime, ModelManager, ModelRegistry, OpenAiRuntime, tinyModelFileName, writeTinyModel } from '../runtimes/index.ts'
import type { ModelEntry, Runtime } from '../runtimes/index.ts'
import { agentGateway } from './grpc/agent-gateway.ts'
import type { AgentGatewayMsg } from './grpc/agent-gateway.ts'
import { agentServiceHandlers } from './grpc/agent-service.ts'
import { AgentAsker } from './inference/agent-asker.ts'
import { buildOpenAiServer } from './openai/index.ts'
import { readClusterKey, startP2pHost } from './mesh/p2p-host.ts'
import type { P2pHost } from './mesh/p2p-host.ts'
import { Cluster } from './mesh/cluster.ts'
import { NodeRoles } from './mesh/role-manager.ts'
import { openAiBackend } from './openai/openai-backend.ts'
import { InferenceService } from './inference/inference-service.ts'
import { UsageLimiter } from './inference/usage-limiter.ts'
import { UserAccounts } from './users/user-accounts.ts'
import type { Logger as PinoLogger } from 'pino'


export interface RunningNode {
  readonly peerId: string
  /** The node's roles now (the role manager may change them). */
  readonly roles: readonly Role[]
  readonly grpc: HostPort
  readonly admin: HostPort
  readonly adminTokenPath: string
  readonly state: Readiness
  /** Graceful stop: not ready, streams closed with UNAVAILABLE, in-flight calls finished (at
   * most `shutdown-timeout`), actors stopped, journal flushed. Idempotent. */
  stop (): Promise<void>
}

/**
 * Starts a node from its configuration: the one place that wires storage, the actor system,
 * entities, the chat gateway, the gRPC server and the admin endpoint, and the only code that
 * listens on sockets.
 */
export async function startNode (config: NodeConfig, log: PinoLogger): Promise<RunningNode> {
  if (config.role === undefined || config.role.length === 0) {
    throw new ConfigError('role', 'no role given: pass --role with chat, ai, storage, backup (comma-separated) or all; npm start uses all')
  }
  const nodeRoles = new NodeRoles(config.role)
  const capacity = config.capacity ?? availableParallelism()
  if (config.join.length > 0 && config.clusterKeyFile === undefined) {
    throw new ConfigError('join', 'joining a cluster needs its key: pass --cluster-key-file (the file `plexi cluster keygen` made, the same on every node)')
  }
  if (config.mdns && config.clusterKeyFile === undefined) {
    throw new ConfigError('mdns', 'finding nodes by mDNS needs a cluster key: pass --cluster-key-file')
  }
  const clusterKey = config.clusterKeyFile === undefined ? undefined : await readClusterKey(config.clusterKeyFile).catch((err: Error) => {
    throw new ConfigError('cluster-key-file', err.message)
  })
  if (config.agentMaxTokens >= config.contextSize) {
    throw new ConfigError('agent-max-tokens', `${config.agentMaxTokens} leaves no room for the prompt in a context of ${config.contextSize} tokens (context-size); lower it or raise context-size`)
  }
  let state: Readiness = 'starting'
  const startedAt = Date.now()
  await mkdir(config.dataDir, { recursive: true, mode: 0o700 })
  const identity = await loadPeerIdentity(config.dataDir)
  const adminToken = await resolveAdminToken(config.dataDir, config.adminToken)
  if (adminToken.warning !== undefined) log.warn(adminToken.warning)

  const store = await LevelStore.open(join(config.dataDir, STORE_DIR), { sync: config.journalSync })
  const cleanups: Array<() => Promise<unknown>> = [() => store.close()]
  let system: ActorSystem | undefined
  try {
    // after the store: a data dir held by another node fails first, having changed nothing
    const models = new ModelRegistry(config.modelsDir)
    if ((await models.scan()).every((m) => m.status !== 'ready') && nodeRoles.has('ai')) {
      // so that an agent answers out of the box; random weights: it answers with noise
      const file = join(config.modelsDir, tinyModelFileName())
      await writeTinyModel(file)
      await models.scan()
      log.info({ file }, `no model in ${config.modelsDir}: generated the test model ${tinyModelFileName()} (random weights; put real GGUF models there)`)
    }
    const invalid = models.list().filter((m) => m.status === 'invalid')
    for (const model of invalid) log.warn({ model: model.name }, `model ${model.name} is not usable and will not be loaded: ${model.error ?? ''}`)
    if (config.defaultModel !== undefined && nodeRoles.has('ai') && models.get(config.defaultModel)?.status !== 'ready') {
      throw new ConfigError('default-model', `no usable model named ${config.defaultModel} in ${config.modelsDir} (models: ${models.list().filter((m) => m.status === 'ready').map((m) => m.name).join(', ') || 'none'})`)
    }

    let metrics: NodeMetrics | undefined
    system = new ActorSystem({
      node: identity.peerId,
      logger: log,
      journal: store.journal,
      snapshots: store.snapshots,
      onEscalation: (err) => { log.error({ err }, `actor gave up after repeated failures: ${err.message}`) },
      onAskSettled: (ms, outcome) => { metrics?.observeAsk(ms, outcome) }
    })
    const actors = system
    cleanups.unshift(() => actors.terminate())
    metrics = new NodeMetrics(system, store)
    // every type on every node: placement decides where each entity lives, by the roles held
    system.registerEntity(chatRoom)
    system.registerEntity(roomDirectory)
    system.registerEntity(userDirectory)
    const users = new UserAccounts(system)
    const gateway: ActorRef<GatewayMsg> = system.spawn(chatGateway(), { name: 'chat-gateway', mailbox: 65_536, kind: 'chat-gateway' })

    const inferencePlan = planInference(config)
    const manager = new ModelManager({
      registry: models,
      createRuntime: (entry) => createRuntime(entry, config, inferencePlan, log),
      memoryBudgetBytes: inferencePlan.memoryBudgetBytes,
      maxQueue: config.inferenceQueue,
      log,
      onResult: metrics.observeInference
    })
    cleanups.unshift(() => manager.close())
    metrics.watchModels(manager)
    const inferenceMetrics = metrics
    const inference = new InferenceService({
      registry: models,
      manager,
      limiter: new UsageLimiter({ requestsPerMin: config.agentRequestsPerMin, tokensPerMin: config.agentTokensPerMin }),
      ...(config.defaultModel !== undefined && { defaultModel: config.defaultModel }),
      onError: (model) => { inferenceMetrics.inferenceRequests.inc({ model, outcome: 'error' }) }
    })
    system.registerEntity(userAgent({ inference, sampling: { ...DEFAULT_SAMPLING, maxTokens: config.agentMaxTokens }, maxTokensLimit: config.contextSize }))
    if (nodeRoles.has('ai')) {
      log.info(inferencePlan, `inference: ${inferencePlan.workers} worker(s) per model x ${inferencePlan.contexts} context(s) x ${inferencePlan.threads} thread(s), gpu ${config.gpu}`)
    }
    const agentGatewayRef: ActorRef<AgentGatewayMsg> = system.spawn(agentGateway(), { name: 'agent-gateway', mailbox: 65_536, kind: 'agent-gateway' })
    const asker = new AgentAsker(system, agentGatewayRef)

    const { service, encoder } = SubscribeEncoder.install(loadChatService().service)
    const nodeMetrics = metrics
    const handlers = chatServiceHandlers({
      system,
      users,
      gateway,
      limiter: new RateLimiter({ rate: config.chatRate, burst: config.chatBurst }),
      maxMessageBytes: config.maxMessageBytes,
      streamBuffer: config.streamBuffer,
      retryTypes: loadRetryInfoTypes(),
      encoder,
      log,
      accepting: () => state === 'ready',
      onPosted: () => { nodeMetrics.chatMessages.inc() },
      streams: { opened: () => { nodeMetrics.grpcStreamsOpen.inc() }, closed: () => { nodeMetrics.grpcStreamsOpen.dec() } }
    })
    const agentHandlers = agentServiceHandlers({
      system,
      users,
      asker,
      maxMessageBytes: config.maxMessageBytes,
      retryTypes: loadRetryInfoTypes(),
      log,
      accepting: () => state === 'ready'
    })
    // every node serves every call: rooms and agents are reached wherever placement put them
    const grpc = await startGrpcServer(config.grpcListen, [
      { service, handlers },
      { service: loadAgentService().service, handlers: agentHandlers }
    ])
    cleanups.unshift(async () => grpc.server.forceShutdown())

    let p2p: P2pHost | undefined
    let adminAddress: HostPort = config.adminListen
    const self = (): Member => {
      const actorList = actors.actors()
      return {
        peerId: identity.peerId,
        roles: [...nodeRoles.current],
        status: state === 'ready' ? 'up' : state === 'starting' ? 'joining' : 'draining',
        addresses: { grpc: formatHostPort(grpc.address), admin: formatHostPort(adminAddress), p2p: p2p?.multiaddrs() ?? [] },
        load: {
          actors: actorList.length,
          entities: actors.entities().length,
          mailbox: actorList.reduce((sum, a) => sum + a.mailbox, 0),
          rssBytes: process.memoryUsage.rss()
        },
        capacity,
        startedAt,
        version: VERSION
      }
    }
    let cluster: Cluster | undefined
    if (clusterKey !== undefined) {
      try {
        p2p = await startP2pHost({
          privateKey: identity.privateKey,
          listen: config.p2pListen,
          join: config.join,
          clusterKey,
          failureTimeout: config.failureTimeout,
          mdns: config.mdns,
          onHeard: () => { cluster?.refresh() },
          self: () => {
            const me = self()
            return { ...me, status: me.status === 'joining' ? 'joining' : me.status === 'up' ? 'up' : 'draining', incarnation: startedAt }
          },
          log: log.child({ component: 'p2p' })
        })
      } catch (err) {
        throw new Error(`cannot listen for p2p on ${config.p2pListen}: ${describe(err)}`, { cause: err })
      }
      const host = p2p
      cleanups.unshift(() => host.stop())
    } else {
      log.info('no cluster key (--cluster-key-file): this node runs alone, with no p2p listener')
    }
    const clusterLog = log.child({ component: 'mesh' })
    cluster = await Cluster.start({
      system,
      journal: store.journal,
      roles: nodeRoles,
      capacity,
      p2p,
      serving: () => state !== 'draining',
      // subscriptions follow rooms to their new owners now, not at the next renewal
      onViewChange: () => { gateway.tell({ type: 'resubscribe' }) },
      log: clusterLog
    }, Math.max(100, Math.floor(config.failureTimeout / 6)))
    const mesh = cluster
    cleanups.unshift(() => mesh.stop())
    metrics.watchMesh(mesh)
    for (const role of ['chat', 'ai'] as const) {
      if (!nodeRoles.has(role)) log.info(`this node does not hold the ${role} role: its ${role === 'chat' ? 'rooms' : 'agents'} live on members that do`)
    }
    const admin = await buildAdminServer({
      system,
      users,
      journal: store.journal,
      metrics,
      adminToken: adminToken.token,
      metricsToken: config.metricsToken,
      readiness: () => state,
      self,
      others: () => (cluster?.members() ?? []).map((m) => ({
        peerId: m.peerId,
        roles: [...m.roles],
        status: m.status,
        addresses: { grpc: m.addresses.grpc, admin: m.addresses.admin, p2p: [...m.addresses.p2p] },
        load: m.load,
        startedAt: m.incarnation,
        version: m.version,
        capacity: m.capacity,
        lastSeen: m.lastSeen
      })),
      cluster,
      models,
      manager,
      logger: log
    })
    try {
      await admin.listen({ host: config.adminListen.host, port: config.adminListen.port })
    } catch (err) {
      throw new Error(`cannot listen for admin HTTP on ${formatHostPort(config.adminListen)}: ${describe(err)}`, { cause: err })
    }
    cleanups.unshift(() => admin.close())
    const bound = admin.server.address()
    if (bound !== null && typeof bound === 'object') adminAddress = { host: config.adminListen.host, port: bound.port }

    let openaiAddress: HostPort | undefined
    const closeOnStop: Array<() => Promise<unknown>> = []
    if (config.openaiListen !== undefined) {
      if (!nodeRoles.has('ai')) throw new ConfigError('openai-listen', 'the OpenAI-compatible endpoint needs the ai role on this node')
      const openai = await buildOpenAiServer({
        backend: openAiBackend({ users, registry: models, inference, asker, startedAt: Math.floor(startedAt / 1000) }),
        logger: log.child({ component: 'openai' }),
        defaults: { maxTokens: config.agentMaxTokens, maxTokensLimit: config.contextSize }
      })
      try {
        await openai.listen({ host: config.openaiListen.host, port: config.openaiListen.port })
      } catch (err) {
        throw new Error(`cannot listen for the OpenAI-compatible API on ${formatHostPort(config.openaiListen)}: ${describe(err)}`, { cause: err })
      }
      cleanups.unshift(() => openai.close())
      closeOnStop.push(() => openai.close())
      const where = openai.server.address()
      openaiAddress = where !== null && typeof where === 'object' ? { host: config.openaiListen.host, port: where.port } : config.openaiListen
    }

    const p2pHost = p2p
    if (p2p !== undefined && config.join.length > 0) {
      // take clients only once this node sees the cluster: a node that placed entities on a
      // view of itself alone would split them from their owners
      const waitMs = Math.min(10_000, 2 * config.failureTimeout)
      if (!await mesh.awaitPeers(waitMs)) log.warn(`no member heard from within ${waitMs} ms; serving alone until one is (entities placed meanwhile may move)`)
    }
    state = 'ready'
    mesh.refresh()
    log.info({
      peerId: identity.peerId,
      roles: nodeRoles.current,
      grpc: formatHostPort(grpc.address),
      admin: formatHostPort(adminAddress),
      ...(openaiAddress !== undefined && { openai: `http://${formatHostPort(openaiAddress)}/v1` }),
      ...(p2p !== undefined && { p2p: p2p.multiaddrs() }),
      dataDir: config.dataDir,
      adminToken: adminToken.source === 'config' ? '(from configuration)' : adminToken.path
    }, `node ready: gRPC on ${formatHostPort(grpc.address)}, admin on http://${formatHostPort(adminAddress)}${p2p === undefined ? '' : `, p2p on ${p2p.multiaddrs().join(' ')} (give it to --join)`}`)
    if (adminToken.source === 'created') log.info(`admin token created in ${adminToken.path} (mode 0600)`)

    let stopping: Promise<void> | undefined
    return {
      peerId: identity.peerId,
      get roles () { return nodeRoles.current },
      grpc: grpc.address,
      admin: adminAddress,
      adminTokenPath: adminToken.path,
      get state () { return state },
      stop () {
        stopping ??= (async () => {
          state = 'draining'
          log.info('shutting down: not ready, closing streams, finishing in-flight calls')
          // the others stop placing entities here now, not after the failure timeout
          p2pHost?.announce()
          mesh.refresh()
          const streams = await gateway.ask<number>((replyTo) => ({ type: 'close-all', reason: 'node is shutting down', replyTo }))
            .catch(() => 0)
          // in-flight calls and the entities' work in progress (an agent's answer) finish, for at
          // most shutdown-timeout; answers still running then are interrupted: their partial text
          // is journaled and their callers are told ('interrupted'), which ends their calls too
          const [clean, work] = await Promise.all([
            stopGrpcServer(grpc.server, config.shutdownTimeout + INTERRUPT_GRACE_MS),
            actors.settleEntities(config.shutdownTimeout, INTERRUPT_GRACE_MS)
          ])
          if (work.interrupted > 0) log.warn({ interrupted: work.interrupted }, `${work.interrupted} entities were still busy after shutdown-timeout (${config.shutdownTimeout} ms) and were interrupted (agents keep their partial answers)`)
          if (!clean) log.warn(`in-flight calls did not finish within ${config.shutdownTimeout + INTERRUPT_GRACE_MS} ms; they were cut`)
          await manager.close()
          await actors.terminate()
          await store.close()
          await admin.close()
          for (const close of closeOnStop) await close()
          await mesh.stop()
          await p2pHost?.stop()
          log.info({ streams }, 'stopped: journal flushed')
        })()
        return stopping
      }
    }
  } catch (err) {
    for (const cleanup of cleanups) await cleanup().catch(() => undefined)
    throw err
  }
}

/** After the shutdown timeout, interrupted work (an agent's answer) gets this long to end cleanly:
 * to journal what it has and answer its caller (a token and one fsync: milliseconds). */
const INTERRUPT_GRACE_MS = 2_000

/** Sampling of an agent that set none. */
const DEFAULT_SAMPLING = { temperature: 0.7, topP: 0.95, topK: 40 } as const

interface InferencePlan {
  readonly workers: number
  readonly contexts: number
  readonly threads: number
  readonly memoryBudgetBytes: number
}

/** Fills in the inference settings left to defaults from this machine: one context per core up
 * to 4, and threads so that workers x contexts x threads stays within the cores (more makes
 * llama.cpp's threads spin against each other and generation many times slower). */
function planInference (config: NodeConfig): InferencePlan {
  const cores = availableParallelism()
  const workers = config.inferenceWorkers
  const contexts = config.inferenceContexts ?? Math.max(1, Math.min(4, cores))
  const threads = config.inferenceThreads ?? Math.max(1, Math.floor(cores / (workers * contexts)))
  const memoryBudgetBytes = (config.modelsMemory ?? Math.floor(totalmem() / 2 / 1_048_576)) * 1_048_576
  return { workers, contexts, threads, memoryBudgetBytes }
}

function createRuntime (entry: ModelEntry, config: NodeConfig, plan: InferencePlan, log: PinoLogger): Runtime {
  if (entry.runtime === 'openai-http') {
    const remote = entry.remote
    if (remote === undefined) throw new Error(`model ${entry.name} has no server settings`)
    return new OpenAiRuntime({ name: entry.name, ...remote })
  }
  return new LlamaRuntime({
    name: entry.name,
    file: entry.file,
    ...(entry.facts !== undefined && { facts: entry.facts }),
    gpu: config.gpu,
    workers: plan.workers,
    contextsPerWorker: plan.contexts,
    threads: plan.threads,
    contextSize: Math.min(config.contextSize, entry.facts?.contextLength ?? config.contextSize),
    log: log.child({ component: 'llama' })
  })
}
