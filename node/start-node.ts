import { mkdir } from 'node:fs/promises'
import { availableParallelism } from 'node:os'
import { join } from 'node:path'
import type { Logger as PinoLogger } from 'pino'
import { AGENT, ActorSystem, auditLog, backupCatalog, chatRoom, roomDirectory, userAgent, userDirectory } from '../actors/index.ts'
import { ConfigError, checkNodeConfig, formatHostPort, scheduleMs } from '../config/index.ts'
import type { HostPort, NodeConfig, Role } from '../config/index.ts'
import { describe } from '../protocols/index.ts'
import type { Member } from '../protocols/index.ts'
import { loadNodeServices, loadRetryInfoTypes } from '../protocols/grpc/index.ts'
import { ModelManager } from '../runtimes/index.ts'
import { AuditTrail, buildAdminServer } from './admin/index.ts'
import { BackupService, ChunkStore, HolderRepair, holderAt, loadBackupKey, spawnChunkHolder, spawnRestoreHold } from './backup/index.ts'
import type { Readiness } from './admin/index.ts'
import { BACKUP_CHUNKS_DIR, STORE_DIR, VERSION } from './constants.ts'
import { RateLimiter, SubscribeEncoder, agentServiceHandlers, chatGateway, chatServiceHandlers, clientInterceptor, startGrpcServer, stopGrpcServer } from './grpc/index.ts'
import { AdminTokenFileError, AdminTokens, TlsFileError, loadPeerIdentity, loadTlsIdentity, resolveAdminToken } from './identity/index.ts'
import { AgentAsker, InferenceService, KvCacheTransfer, UsageLimiter, WarmForwarding, agentGateway, bootstrapModels, createRuntime, planInference, spawnKvCacheActor, spawnWarmForwarding } from './inference/index.ts'
// as namespaces too: their error classes cross the wire (the mesh rebuilds them, WireErrors)
import * as inferenceFolder from './inference/index.ts'
import { ClusterJobs, Jobs } from './jobs/index.ts'
import { Lifecycle } from './lifecycle.ts'
import { ClientLimits, TrustedProxies } from './limits/index.ts'
import { Cluster, MEMBER_SETTLE_MAX_MS, NodeRoles, PinTable, memberOf, readClusterKey, recordOf, startP2pHost } from './mesh/index.ts'
import type { Candidate } from './mesh/index.ts'
import { NodeMetrics, StatsSampler } from './metrics/index.ts'
import type { LogTail } from './log-tail.ts'
import { Leave, LeaveRefusedError, MigrationAdmin, Migrator, MoveJobs, markDecommissioned, refuseDecommissioned, spawnMigrationActor } from './migration/index.ts'
import { buildOpenAiServer, openAiBackend } from './openai/index.ts'
import { AntiEntropy, CatchUp, HAND_OFF_CHECK_MS, HandOff, LevelReplicaStorage, QuorumGatedJournal, REPLICATION_PATH, Scrubber, TAKE_OVER_ASK_MS, WriteQuorum, checkTakeOverResult, PartitionsMismatchError, ReplicationAdmin, StorageRoster, meshJournal, meshPeer, spawnShardHolders } from './replication/index.ts'
import type { ReplicationMsg } from './replication/index.ts'
import * as replicationFolder from './replication/index.ts'
import { LevelStore } from './storage/index.ts'
import { DirectoryView, UserAccounts } from './users/index.ts'

export interface RunningNode {
  readonly peerId: string
  /** The node's roles now (the role manager may change them). */
  readonly roles: readonly Role[]
  readonly grpc: HostPort
  readonly admin: HostPort
  readonly adminTokenPath: string
  readonly state: Readiness
  /** Resolves once the node stopped, whoever stopped it (stop(), or an admin's drain or
   * decommission: the process should exit then). */
  readonly stopped: Promise<void>
  /** Graceful stop: not ready, streams closed with UNAVAILABLE, in-flight calls and busy entities
   * finished (at most `shutdown-timeout`, then interrupted), then every part stopped in reverse
   * start order: the journal is flushed last. Idempotent. */
  stop (): Promise<void>
}

/** After the shutdown timeout, interrupted work (an agent's answer) gets this long to end cleanly:
 * to journal what it has and answer its caller (a token and one fsync: milliseconds). */
const INTERRUPT_GRACE_MS = 2_000

/** A drained node exits once no entity message reached it for this long (they are forwarded to
 * the entities' new owners while senders learn where the entities went), or after DRAIN_LINGER_MAX_MS. */
const DRAIN_QUIET_MS = 300
const DRAIN_LINGER_MAX_MS = 3_000


/** While a node started with --join has heard no member, it says so this often. */
const WAIT_FOR_CLUSTER_LOG_MS = 10_000

/** Sampling of an agent that set none. */
const DEFAULT_SAMPLING = { temperature: 0.7, topP: 0.95, topK: 40 } as const

/**
 * Starts a node from its configuration: the composition root, and the only code that listens on
 * sockets. Its parts start in this order, each after the ones it needs, and stop in the reverse
 * order (node/lifecycle.ts): the store; the actor system with its entities and gateways; the model
 * manager; the p2p host and the cluster (placement, transport, system actors); the admin endpoint;
 * the gRPC server; the OpenAI-compatible endpoint. A start that fails half-way stops what it
 * started, in reverse, the same way.
 */
export interface StartNodeOptions {
  /** Where the logger also writes its lines (node/logger.ts): the admin API's live tail reads it. */
  readonly logTail?: LogTail
}

export async function startNode (config: NodeConfig, log: PinoLogger, opts: StartNodeOptions = {}): Promise<RunningNode> {
  checkNodeConfig(config)
  const roles = new NodeRoles(config.role ?? [])
  const capacity = config.capacity ?? availableParallelism()
  const clusterKey = config.clusterKeyFile === undefined ? undefined : await readClusterKey(config.clusterKeyFile).catch((err: Error) => {
    throw new ConfigError('cluster-key-file', err.message)
  })
  const backupKey = config.backupKeyFile === undefined ? undefined : await loadBackupKey(config.backupKeyFile).catch((err: Error) => {
    throw new ConfigError('backup-key-file', err.message)
  })
  // checked before anything listens or is written: a wrong pair fails the start, naming the file
  const tls = config.tlsCert === undefined || config.tlsKey === undefined ? undefined : await loadTlsIdentity(config.tlsCert, config.tlsKey).catch((err: unknown) => {
    throw err instanceof TlsFileError ? new ConfigError(err.key, err.message) : err
  })
  /** http or https, as the admin and OpenAI endpoints serve. */
  const scheme = tls === undefined ? 'http' : 'https'
  let state: Readiness = 'starting'
  const startedAt = Date.now()
  await mkdir(config.dataDir, { recursive: true, mode: 0o700 })
  await refuseDecommissioned(config.dataDir)
  const identity = await loadPeerIdentity(config.dataDir)
  const adminToken = await resolveAdminToken(config.dataDir, config.adminToken).catch((err: unknown) => {
    throw err instanceof AdminTokenFileError ? new ConfigError('admin-token', err.message) : err
  })
  // named admin tokens, each read-only or full (plexi admin tokens add)
  const adminTokens = await AdminTokens.open(config.dataDir).catch((err: Error) => { throw new ConfigError('data-dir', err.message) })
  const parts = new Lifecycle(log)
  try {
    const store = await parts.start('store', () => LevelStore.open(join(config.dataDir, STORE_DIR), { sync: config.journalSync }), (s) => s.close())
    const replicas = await LevelReplicaStorage.open(store, config.partitions).catch((err: unknown) => {
      throw err instanceof PartitionsMismatchError ? new ConfigError('partitions', err.message) : err
    })
    const roster = await StorageRoster.open(store, { peerId: identity.peerId, roles: roles.current, capacity }, log)
    // after the store: a data dir held by another node fails first, having changed nothing
    const models = await bootstrapModels(config, roles.has('ai'), log)

    const metrics = new NodeMetrics(store)
    // long operations with progress (repairs, drains, migrations): listed and cancelled from any member
    const jobs = new Jobs({ node: identity.peerId })
    metrics.watchJobs(jobs)
    // an entity's journal lives on the replicas of its partition: this node's own are reached
    // directly, the others' shard holders through the mesh
    let systemRef: ActorSystem | undefined
    /** The p2p host once it exists (the journal is built before it). */
    let p2pRef: { members (): ReadonlyArray<{ peerId: string, status: string, lastSeen: number }> } | undefined
    const journal = meshJournal({
      self: identity.peerId,
      storage: replicas,
      // a node alone (no cluster key) keeps its journals itself, whatever its roles: roles divide
      // the work of a cluster, and there is no one else
      roster: clusterKey === undefined ? () => [{ peerId: identity.peerId, roles: ['storage'], capacity }] : () => roster.placement(config.replicationFactor),
      known: () => roster.known(),
      holdsNothing: (peerId) => roster.isReplaced(peerId) || roster.isLeaving(peerId),
      live: () => new Set((p2pRef?.members() ?? []).filter((m) => m.status !== 'down').map((m) => m.peerId)),
      replicationFactor: config.replicationFactor,
      ...(config.writeQuorum !== undefined && { writeQuorum: config.writeQuorum }),
      // owners' leases (docs/replication.md, "Leases"): a node alone has its replicas in-process
      ...(clusterKey !== undefined && { lease: { ms: config.leaseMs, maxDrift: config.maxClockDrift } }),
      stats: metrics.replication,
      system: () => systemRef as ActorSystem,
      log: log.child({ component: 'replication' })
    })
    // whether each partition has the replicas up that its writes need: said once per change in the
    // log, refused at once by the entities' journals (never a deadline), shown to admins
    const writeQuorum = new WriteQuorum({
      self: identity.peerId,
      partitions: journal.partitions,
      placement: (partition) => journal.placement(partition),
      partitionOf: (entity) => replicas.partitionOf(entity),
      live: () => (p2pRef?.members() ?? []).filter((m) => m.status !== 'down').map((m) => m.peerId),
      log: log.child({ component: 'replication' }),
      fixedRoster: clusterKey === undefined
    })
    const system = await parts.start('actors', () => new ActorSystem({
      node: identity.peerId,
      logger: log,
      journal: new QuorumGatedJournal(journal, writeQuorum),
      onEscalation: (err) => { log.error({ err }, `actor gave up after repeated failures: ${err.message}`) },
      onAskSettled: (ms, outcome) => { metrics.observeAsk(ms, outcome) }
    }), (s) => s.terminate())
    metrics.watchActors(system)
    systemRef = system
    // the inspector answers repairs and scrub once those parts run (they need the mesh first)
    let repairParts: { antiEntropy?: AntiEntropy, scrubber?: Scrubber, handOff?: HandOff, catchUp?: CatchUp } = {}
    const repairHooks = { antiEntropy: () => repairParts.antiEntropy, scrubber: () => repairParts.scrubber, handOff: () => repairParts.handOff, catchUp: () => repairParts.catchUp }
    spawnShardHolders(system, journal, repairHooks)
    /** Open journals and a hand-off follow a change of the storage roster. */
    const rosterChanged = (): void => {
      const moved = journal.rosterChanged()
      repairParts.handOff?.rosterChanged()
      if (moved > 0) log.info({ moved, storageNodes: roster.candidates().length }, `the storage roster has ${roster.candidates().length} nodes now: ${moved} open journals write to their partitions' new replicas`)
    }
    // a new replica of a partition counts as a full one only once it caught up (a learner until
    // then, marked before any owner asks), and a storage node down past replica-replace-after is
    // replaced
    const catchUp = await CatchUp.open({
      self: identity.peerId,
      journal,
      store,
      roster,
      cluster: clusterKey !== undefined,
      members: () => p2pRef?.members() ?? [],
      pull: async (partition, from) => {
        const ae = repairParts.antiEntropy
        if (ae === undefined) throw new Error('anti-entropy is not running yet')
        return await ae.takeOver(partition, from)
      },
      replaceAfterMs: config.replicaReplaceAfter,
      replicationFactor: config.replicationFactor,
      onRosterChanged: rosterChanged,
      log: log.child({ component: 'catch-up' })
    })
    /** Set once the mesh runs: sends this node's record now. */
    let announceNow: (() => void) | undefined
    const inferencePlan = planInference(config)
    const manager = await parts.start('models', () => new ModelManager({
      registry: models,
      createRuntime: (entry) => createRuntime(entry, config, inferencePlan, log.child({ component: 'llama' }), metrics.observeKvSaved),
      memoryBudgetBytes: inferencePlan.memoryBudgetBytes,
      maxQueue: config.inferenceQueue,
      log,
      onResult: metrics.observeInference,
      // the others learn at once which models this node can answer for
      onLoadedChanged: () => { announceNow?.() }
    }), (m) => m.close())
    metrics.watchModels(manager)
    const kvCaches = new KvCacheTransfer({
      system,
      manager,
      registry: models,
      dataDir: config.dataDir,
      budgetBytes: config.kvCacheDisk * 1_048_576,
      onTransfer: metrics.observeKvTransfer,
      log: log.child({ component: 'kv-cache' })
    })
    spawnKvCacheActor(system, kvCaches)
    /** Set once the mesh runs: the other members up, with the models each has loaded. */
    let membersNow: (() => ReadonlyArray<{ readonly peerId: string, readonly status: string, readonly roles: readonly string[], readonly models?: readonly string[] }>) | undefined
    const forwarding = new WarmForwarding({
      system,
      manager,
      warmMembers: () => (membersNow?.() ?? [])
        .filter((m) => m.peerId !== identity.peerId && m.status === 'up' && m.roles.includes('ai') && (m.models?.length ?? 0) > 0)
        .map((m) => ({ peerId: m.peerId, models: m.models ?? [] })),
      live: (peer) => (membersNow?.() ?? []).some((m) => m.peerId === peer && m.status !== 'down'),
      onForward: metrics.observeForwarded,
      log: log.child({ component: 'inference' })
    })
    spawnWarmForwarding(system, forwarding)
    const inference = new InferenceService({
      registry: models,
      manager,
      forwarding,
      limiter: new UsageLimiter({ requestsPerMin: config.agentRequestsPerMin, tokensPerMin: config.agentTokensPerMin }),
      ...(config.defaultModel !== undefined && { defaultModel: config.defaultModel }),
      onError: (model) => { metrics.inferenceRequests.inc({ model, outcome: 'error' }) }
    })
    // every type on every node: placement decides where each entity lives, by the roles held
    system.registerEntity(chatRoom)
    system.registerEntity(roomDirectory)
    system.registerEntity(userDirectory)
    system.registerEntity(backupCatalog)
    system.registerEntity(auditLog)
    system.registerEntity(userAgent({ inference, sampling: { ...DEFAULT_SAMPLING, maxTokens: config.agentMaxTokens }, maxTokensLimit: config.contextSize }))
    if (roles.has('ai')) {
      log.info(inferencePlan, `inference: ${inferencePlan.workers} worker(s) per model x ${inferencePlan.contexts} context(s) x ${inferencePlan.threads} thread(s), gpu ${config.gpu}`)
    }
    for (const role of ['chat', 'ai'] as const) {
      if (!roles.has(role)) log.info(`this node does not hold the ${role} role: its ${role === 'chat' ? 'rooms' : 'agents'} live on members that do`)
    }
    // every node keeps its own copy of the users' tokens: no login waits on the directory's owner
    const directoryView = new DirectoryView({ system, log })
    const users = new UserAccounts(system, directoryView)
    const gateway = system.spawn(chatGateway(), { name: 'chat-gateway', mailbox: 65_536, kind: 'chat-gateway' })
    const asker = new AgentAsker(system, system.spawn(agentGateway(), { name: 'agent-gateway', mailbox: 65_536, kind: 'agent-gateway' }))

    // where clients reach this node: known once each server listens (the record says what is known)
    const reach = { grpc: config.grpcListen, admin: config.adminListen, p2p: [] as string[] }
    /** Set once the mesh runs: whether this node takes entities of all its roles yet. */
    let settledNow: (() => boolean) | undefined
    const self = (): Member => {
      const actors = system.actors()
      return {
        peerId: identity.peerId,
        roles: [...roles.current],
        status: state === 'ready' ? 'up' : state === 'starting' ? 'joining' : 'draining',
        addresses: { grpc: formatHostPort(reach.grpc), admin: formatHostPort(reach.admin), p2p: reach.p2p },
        load: { actors: actors.length, entities: system.entities().length, mailbox: actors.reduce((sum, a) => sum + a.mailbox, 0), rssBytes: process.memoryUsage.rss() },
        capacity,
        startedAt,
        version: VERSION,
        settled: settledNow?.() ?? false,
        models: manager.loaded().filter((m) => m.kind === 'llama.cpp').map((m) => m.model)
      }
    }

    /** Entities an admin moved here (announced in this node's record), and whether this node was
     * decommissioned (its last records say it left for good). */
    const pins = new PinTable()
    let left = false
    const p2p = clusterKey === undefined ? undefined : await parts.start('p2p', () => startP2pHost({
      privateKey: identity.privateKey,
      listen: config.p2pListen,
      join: config.join,
      clusterKey,
      failureTimeout: config.failureTimeout,
      partitions: replicas.partitions,
      mdns: config.mdns,
      self: () => ({ ...recordOf(self()), ...(pins.size > 0 && { pins: pins.record() }), ...(left ? { left: true } : {}) }),
      log: log.child({ component: 'p2p' })
    }).catch((err: unknown) => {
      throw new Error(`cannot listen for p2p on ${config.p2pListen}: ${describe(err)}`, { cause: err })
    }), (host) => host.stop())
    p2pRef = p2p
    if (p2p !== undefined) {
      membersNow = () => p2p.members()
      announceNow = () => { p2p.announce() }
    }
    /** Moves entities live once the mesh runs (placement changes before then move nothing: no
     * entity is active yet). */
    let migrator: Migrator | undefined
    /** Rebalances and drains as jobs. */
    let moveJobs: MoveJobs | undefined
    if (p2p === undefined) log.info('no cluster key (--cluster-key-file): this node runs alone, with no p2p listener')
    else reach.p2p = p2p.multiaddrs()
    const cluster = await parts.start('mesh', () => Cluster.start({
      system,
      heads: journal,
      roles,
      capacity,
      p2p,
      // a node takes entities only once it is ready: it has a view of the cluster (a node still
      // waiting for its --join members would place entities on a view of itself alone)
      serving: () => state === 'ready',
      // entities now other nodes' move there live (a drain moves them all)
      moveAway: () => {
        const trigger = state === 'ready' ? 'rebalance' : 'drain'
        const queued = migrator?.rebalance(trigger) ?? 0
        moveJobs?.queued(trigger, queued)
        return queued
      },
      pins,
      // subscriptions follow rooms to their new owners now, not at the next renewal
      onViewChange: () => { gateway.tell({ type: 'resubscribe' }) },
      onMembers: (members) => {
        // a storage node joined: open journals move to their partitions' new replicas
        let changed = roster.update([...members, { peerId: identity.peerId, roles: roles.current, capacity }])
        // a decommissioned member handed everything off: no longer a former holder to fence
        for (const m of members) if (m.left === true && m.peerId !== identity.peerId) changed = roster.forget(m.peerId) || changed
        if (changed) rosterChanged()
        writeQuorum.update()
      },
      refreshMs: Math.max(50, Math.floor(config.failureTimeout / 12)),
      // a member that joins or comes back takes entities once it stayed up a moment
      settleMs: Math.min(MEMBER_SETTLE_MAX_MS, config.failureTimeout),
      onSettled: () => { p2p?.announce() },
      jobs,
      errorModules: [inferenceFolder, replicationFolder],
      log: log.child({ component: 'mesh' })
    }), (c) => c.stop())
    metrics.watchMesh(cluster)
    // started once the node is ready (below)
    await parts.start('write-quorum', () => writeQuorum, (q) => { q.stop() })
    settledNow = () => cluster.settled
    migrator = await parts.start('migration', () => {
      const onMove = metrics.watchMigrations(() => cluster.port.buffered(), () => m.pending, () => m.concurrency)
      const m: Migrator = new Migrator({
        onMove,
        system,
        port: cluster.port,
        placement: cluster.placement,
        live: (peer) => (p2p?.members() ?? []).some((member) => member.peerId === peer && member.status !== 'down'),
        busyMs: config.migrationTimeout,
        graceMs: INTERRUPT_GRACE_MS,
        concurrency: config.migrationConcurrency,
        awaitCandidate: async (peer, role, ms) => await cluster.awaitCandidate(peer, role, ms),
        pins,
        announce: () => {
          cluster.refresh()
          p2p?.announce()
        },
        leave: (mode) => leave.request(mode),
        leaving: () => leave.mode === undefined ? undefined : leave.status(),
        // an agent's KV cache goes ahead of it, so that its first turn on the new node reuses it
        beforeMove: async (type, key, to) => { if (type === AGENT.type) await kvCaches.push(`${AGENT.type}/${key}`, to) },
        log: log.child({ component: 'migration' })
      })
      m.start()
      moveJobs = new MoveJobs(jobs, m)
      spawnMigrationActor(system, m)
      if (cluster.transport !== undefined) cluster.transport.claimer = (type, key) => m.claim(type, key)
      return m
    }, (m) => {
      if (cluster.transport !== undefined) cluster.transport.claimer = undefined
      m.stop()
    })
    metrics.watchReplicas(journal)
    // replicas compare Merkle roots with each other and fill what they missed (a node alone has
    // no one to compare with)
    const antiEntropy = await parts.start('anti-entropy', () => {
      const ae = new AntiEntropy({
        self: identity.peerId,
        journal,
        peer: (node, partition) => meshPeer(system, node, partition, journal.partitions),
        live: () => new Set((p2p?.members() ?? []).filter((m) => m.status !== 'down').map((m) => m.peerId)),
        intervalMs: p2p === undefined ? 0 : config.antiEntropyInterval,
        maxRecords: config.antiEntropyRecords,
        maxBytes: config.antiEntropyMib * 1_048_576,
        log: log.child({ component: 'anti-entropy' })
      })
      ae.start()
      return ae
    }, (ae) => { ae.stop() })
    metrics.watchAntiEntropy(antiEntropy)
    // every stored value re-read at a bounded rate; damaged records put back from a healthy replica
    const scrubber = await parts.start('scrub', () => {
      const scrub = new Scrubber({
        self: identity.peerId,
        journal,
        live: () => new Set((p2p?.members() ?? []).filter((m) => m.status !== 'down').map((m) => m.peerId)),
        bytesPerSecond: config.scrubRate * 1_048_576,
        intervalMs: config.scrubInterval,
        log: log.child({ component: 'scrub' })
      })
      journal.storage.onDamaged = (key) => { scrub.damaged(key) }
      scrub.start()
      return scrub
    }, (scrub) => {
      journal.storage.onDamaged = undefined
      scrub.stop()
    })
    metrics.watchScrub(scrubber)
    // a storage node that loses the role hands its partitions off to their new replicas
    const handOff = await parts.start('hand-off', () => {
      const h = new HandOff({
        self: identity.peerId,
        journal,
        leaving: () => clusterKey !== undefined && roster.isLeaving(identity.peerId),
        live: () => new Set((p2p?.members() ?? []).filter((m) => m.status !== 'down').map((m) => m.peerId)),
        takeOver: async (node, partition) => checkTakeOverResult(await system.actorAt<ReplicationMsg>({ node, path: REPLICATION_PATH })
          .ask<unknown>((replyTo) => ({ type: 'take-over', partition, from: identity.peerId, replyTo }), { timeout: TAKE_OVER_ASK_MS })),
        intervalMs: HAND_OFF_CHECK_MS,
        log: log.child({ component: 'hand-off' })
      })
      h.start()
      return h
    }, (h) => { h.stop() })
    repairParts = { antiEntropy, scrubber, handOff, catchUp }
    await parts.start('catch-up', () => {
      catchUp.start()
      return catchUp
    }, (c) => { c.stop() })
    metrics.watchCatchUp(catchUp)
    // an admin's drain or decommission of this node (asked through another member)
    const leave = new Leave({
      migrator,
      entities: () => system.entities().length,
      check: (mode) => {
        if (mode !== 'decommission') return
        if (state !== 'ready') throw new LeaveRefusedError(`${identity.peerId} is ${state}: it cannot be decommissioned now`)
        const others = cluster.members().filter((m) => m.status === 'up' || m.status === 'suspect')
        const alone = roles.current.filter((r) => r !== 'storage' && !others.some((m) => m.roles.includes(r)))
        if (alone.length > 0) throw new LeaveRefusedError(`${identity.peerId} is the only member with the ${alone.join(', ')} role${alone.length > 1 ? 's' : ''}: its entities would have nowhere to go; start a node with --role ${alone.join(',')} first`)
        if (clusterKey !== undefined && roster.candidates().some((c) => c.peerId === identity.peerId)) {
          const rest = roster.candidates().filter((c) => c.peerId !== identity.peerId).length
          if (rest < config.replicationFactor) throw new LeaveRefusedError(`decommissioning ${identity.peerId} would leave ${rest} storage node${rest === 1 ? '' : 's'} for replication-factor ${config.replicationFactor}: its partitions would be short of replicas; add a storage node first`)
        }
      },
      dropRoles: () => {
        state = 'draining'
        roles.replace([])
        if (roster.update([...cluster.members(), { peerId: identity.peerId, roles: [], capacity }])) rosterChanged()
        cluster.refresh()
        p2p?.announce()
      },
      handOff: () => {
        const h = repairParts.handOff
        return h === undefined || !roster.isLeaving(identity.peerId) ? undefined : h.status
      },
      markLeft: async () => {
        await markDecommissioned(config.dataDir, identity.peerId)
        left = true
        p2p?.announce()
      },
      stop: () => running.stop(),
      log: log.child({ component: 'migration' })
    })
    await parts.start('directory-view', () => directoryView, (v) => { v.stop() })

    // backup-role members keep other nodes' sealed chunks (ciphertext only: they hold no key)
    const chunkStore = roles.has('backup')
      ? await parts.start('backup-chunks', async () => await ChunkStore.open(join(config.dataDir, BACKUP_CHUNKS_DIR)), async (s) => { await s.close() })
      : undefined
    if (chunkStore !== undefined) spawnChunkHolder(system, chunkStore)
    spawnRestoreHold(system, cluster.port, log)
    const backupHolders = (): Candidate[] => [
      ...(chunkStore !== undefined && roles.has('backup') ? [{ peerId: identity.peerId, roles: ['backup'], capacity }] : []),
      ...cluster.members().filter((m) => m.status === 'up' && m.roles.includes('backup')).map((m) => ({ peerId: m.peerId, roles: m.roles, capacity: m.capacity }))
    ]
    const backups = new BackupService({
      system,
      journal,
      self: identity.peerId,
      key: backupKey,
      holders: backupHolders,
      copies: config.backupCopies,
      jobs,
      retention: { keepLast: config.backupKeepLast, keepDaily: config.backupKeepDaily, keepWeekly: config.backupKeepWeekly },
      ...(scheduleMs(config.backupSchedule) !== undefined && { scheduleMs: scheduleMs(config.backupSchedule) }),
      ...(scheduleMs(config.backupAuditInterval) !== undefined && { auditMs: scheduleMs(config.backupAuditInterval) }),
      log: log.child({ component: 'backup' }),
      live: (peer) => peer === identity.peerId || cluster.members().some((m) => m.peerId === peer && m.status !== 'down'),
      ownerOf: (entity) => {
        const slash = entity.indexOf('/')
        const role = system.entityTypes().find((t) => t.type === entity.slice(0, slash))?.role
        const owner = role === undefined ? undefined : cluster.placement.ownerOf(entity.slice(0, slash), role, entity.slice(slash + 1))
        return typeof owner === 'string' ? owner : undefined
      }
    })
    // holders see to their chunks' copies themselves, with no key: a holder gone or a copy lost is
    // made good from the copies left, every backup-audit-interval
    const holderRepair = chunkStore === undefined
      ? undefined
      : new HolderRepair({ store: chunkStore, self: identity.peerId, holders: backupHolders, copies: config.backupCopies, holder: (node) => holderAt(system, node), log: log.child({ component: 'backup' }) })
    metrics.watchBackups(backups, chunkStore, holderRepair)
    await parts.start('backup-schedule', () => { backups.start(); return backups }, (b) => { b.stop() })
    const repairEvery = scheduleMs(config.backupAuditInterval)
    if (holderRepair !== undefined && repairEvery !== undefined) await parts.start('backup-holder-repair', () => { holderRepair.start(repairEvery); return holderRepair }, async (r) => { await r.stop() })

    // the dashboard's live charts and `plexi admin top`: this node's rates, every member's memory
    const stats = await parts.start('stats', () => {
      const sampler = new StatsSampler({
        chatMessages: metrics.chatMessages,
        chatDeliveries: metrics.chatDeliveries,
        askDuration: metrics.askDuration,
        inferenceTokens: metrics.inferenceTokens,
        members: () => [self(), ...cluster.members().map(memberOf)].map((m) => ({
          peerId: m.peerId, status: m.status, rssBytes: m.load.rssBytes, actors: m.load.actors, entities: m.load.entities, mailbox: m.load.mailbox
        }))
      })
      sampler.start()
      return sampler
    }, (sampler) => { sampler.stop() })

    // every admin action and failed admin authentication, in the cluster's hash-chained trail
    const audit = new AuditTrail({ system, log: log.child({ component: 'audit' }) })
    metrics.watchAudit(audit.stats)
    // one set of limits per client address for every endpoint of this node: a client cannot get
    // three times the rate, or guess tokens three times as fast, by spreading over them
    const clients = new ClientLimits({ rate: config.ipRate, burst: config.ipBurst, authFailures: config.authFailuresPerMin, streams: config.streamsPerIp, userRate: config.userRate, userBurst: config.userBurst })
    const limitGrpcUser = (user: string): void => { clients.userRequest('grpc', user) }
    // a request through one of these is from the client its X-Forwarded-For names
    const proxies = new TrustedProxies(config.trustedProxies)
    if (proxies.size > 0) log.info({ trustedProxies: config.trustedProxies }, `trusting X-Forwarded-For from ${config.trustedProxies.join(', ')}`)
    metrics.watchClientLimits(clients.stats)

    const admin = await parts.start('admin', async () => {
      const app = await buildAdminServer({
        system,
        users,
        metrics,
        adminToken: adminToken.token,
        metricsToken: config.metricsToken,
        readiness: () => state,
        self,
        others: () => cluster.members().map(memberOf),
        cluster: cluster.admin,
        replication: new ReplicationAdmin({ system, journal, members: () => cluster.members(), log, parts: repairHooks, jobs, ...(clusterKey !== undefined && { roster }) }),
        jobs: new ClusterJobs({ system, jobs, members: () => cluster.members(), log }),
        writes: writeQuorum,
        ...(clusterKey !== undefined && {
          migration: new MigrationAdmin({ system, jobs, members: () => p2p?.members().filter((m) => m.peerId !== identity.peerId) ?? [], candidacy: (peer, role) => cluster.candidacy(peer, role), awaitCandidate: async (peer, role, ms) => await cluster.awaitCandidate(peer, role, ms), busyMs: config.migrationTimeout, graceMs: INTERRUPT_GRACE_MS })
        }),
        backups,
        models,
        manager,
        stats,
        audit,
        tokens: adminTokens,
        clients,
        proxies,
        ...(opts.logTail !== undefined && { logs: opts.logTail }),
        logger: log,
        ...(tls !== undefined && { https: { cert: tls.cert, key: tls.key } })
      })
      reach.admin = await listen(app, config.adminListen, tls === undefined ? 'admin HTTP' : 'admin HTTPS')
      return app
    }, (app) => app.close())

    const retryTypes = loadRetryInfoTypes()
    const services = loadNodeServices()
    const { service: chatService, encoder } = SubscribeEncoder.install(services.chat)
    const grpc = await parts.start('grpc', () => startGrpcServer(config.grpcListen, [
      {
        service: chatService,
        handlers: chatServiceHandlers({
          system,
          users,
          gateway,
          limiter: new RateLimiter({ rate: config.chatRate, burst: config.chatBurst }),
          limitUser: limitGrpcUser,
          maxMessageBytes: config.maxMessageBytes,
          streamBuffer: config.streamBuffer,
          retryTypes,
          encoder,
          log,
          accepting: () => state === 'ready',
          onPosted: () => { metrics.chatMessages.inc() },
          streams: { opened: () => { metrics.grpcStreamsOpen.inc() }, closed: () => { metrics.grpcStreamsOpen.dec() }, delivered: () => { metrics.chatDeliveries.inc() } }
        })
      },
      // every node serves every call: rooms and agents are reached wherever placement put them
      { service: services.agent, handlers: agentServiceHandlers({ system, users, asker, maxMessageBytes: config.maxMessageBytes, retryTypes, log, accepting: () => state === 'ready', limitUser: limitGrpcUser }) }
    ], services.definition, tls, [clientInterceptor(clients, retryTypes, proxies)]), (g) => { g.server.forceShutdown() })
    reach.grpc = grpc.address

    const openaiListen = config.openaiListen
    const openai = openaiListen === undefined ? undefined : await parts.start('openai', async () => {
      const app = await buildOpenAiServer({
        backend: openAiBackend({ users, registry: models, inference, asker, startedAt: Math.floor(startedAt / 1000) }),
        logger: log.child({ component: 'openai' }),
        defaults: { maxTokens: config.agentMaxTokens, maxTokensLimit: config.contextSize },
        clients,
        proxies,
        ...(tls !== undefined && { https: { cert: tls.cert, key: tls.key } })
      })
      return { app, address: await listen(app, openaiListen, 'the OpenAI-compatible API') }
    }, ({ app }) => app.close())

    if (tls !== undefined) {
      // the certificate's public facts only: the key stays in memory
      const served = ['gRPC', 'admin', ...(openai !== undefined ? ['OpenAI-compatible API'] : [])]
      log.info({ tls: { endpoints: served, cert: config.tlsCert, ...tls.summary } }, `TLS on ${served.join(', ')}: certificate ${tls.summary.subject} (${tls.summary.altNames}), valid to ${tls.summary.validTo}, SHA-256 ${tls.summary.fingerprint256}`)
      if (tls.summary.expired) log.warn({ validTo: tls.summary.validTo }, `the TLS certificate in ${config.tlsCert ?? ''} expired at ${tls.summary.validTo}: clients will refuse it; replace it and restart`)
    }
    const ready = (): void => {
      if (state !== 'starting') return
      state = 'ready'
      // judged from the view this node has now that it is ready (before, it has heard no member)
      writeQuorum.start()
      cluster.refresh()
      p2p?.announce()
      directoryView.start()
      log.info({
        peerId: identity.peerId,
        roles: roles.current,
        grpc: formatHostPort(reach.grpc),
        admin: formatHostPort(reach.admin),
        ...(openai !== undefined && { openai: `${scheme}://${formatHostPort(openai.address)}/v1` }),
        tls: tls !== undefined,
        ...(p2p !== undefined && { p2p: p2p.multiaddrs() }),
        dataDir: config.dataDir,
        adminToken: adminToken.source === 'config' ? '(from configuration)' : adminToken.path
      }, `node ready: gRPC on ${formatHostPort(reach.grpc)}${tls === undefined ? '' : ' (TLS)'}, admin on ${scheme}://${formatHostPort(reach.admin)}${p2p === undefined ? '' : `, p2p on ${p2p.multiaddrs().join(' ')} (give it to --join)`}`)
    }
    if (p2p !== undefined && config.join.length > 0) {
      // ready only once this node has heard a member: until then /readyz is 503, calls are
      // refused with UNAVAILABLE and no entity is placed here (no waiting out a timeout and
      // then serving alone: a restarted node would hand out seqs its rooms already had)
      log.info({ peerId: identity.peerId, grpc: formatHostPort(reach.grpc), admin: formatHostPort(reach.admin), p2p: p2p.multiaddrs(), join: config.join }, `waiting to hear a member of the cluster (${config.join.join(', ')}) before taking clients; p2p on ${p2p.multiaddrs().join(' ')}`)
      void (async () => {
        while (state === 'starting') {
          if (await cluster.awaitPeers(WAIT_FOR_CLUSTER_LOG_MS)) {
            // and the members it hears: records arrive one by one, and a view of this node and
            // one member would take entities that are others'
            const unheard = await cluster.awaitFullView(config.failureTimeout)
            if (unheard.length > 0) log.warn({ unheard }, `${unheard.length} members the cluster knows were not heard within failure-timeout (${config.failureTimeout} ms); ready without them (${unheard.join(', ')})`)
            ready()
            return
          }
          if (state === 'starting') log.warn({ join: config.join }, `still waiting to hear a member of the cluster: is one of ${config.join.join(', ')} up, with the same cluster key? not ready until then`)
        }
      })()
    } else {
      ready()
    }
    if (adminToken.source === 'created') log.info(`admin token created in ${adminToken.path} (mode 0600)`)
    if (backupKey !== undefined) log.info({ backupKeyFingerprint: backupKey.fingerprint }, `backup key ${backupKey.fingerprint} loaded from ${config.backupKeyFile ?? ''} (kept in memory only)`)

    /** Before the parts stop: no new work, the others told, what is in flight finished. */
    const drain = async (): Promise<void> => {
      state = 'draining'
      // the members leaving with this node are no news to log, nor a reason to fail its writes
      writeQuorum.stop()
      log.info('shutting down: not ready, closing streams, finishing in-flight calls')
      // the others stop placing entities here now, not after the failure timeout
      p2p?.announce()
      cluster.refresh()
      // the moves just queued hand their entities over first: their releases run in this turn and
      // their hand-offs leave at its end; closing streams and the gRPC server (milliseconds of
      // work) waits a turn, not in the middle of every entity's pause
      await new Promise((resolve) => setTimeout(resolve, 0))
      const streams = await gateway.ask<number>((replyTo) => ({ type: 'close-all', reason: 'node is shutting down', replyTo })).catch(() => 0)
      // every entity another node can own moves there live (the refresh above queued them): its
      // messages wait for the move, its work in progress finishes first (at most
      // migration-timeout, then it is interrupted); in-flight calls finish meanwhile
      const movesBefore = new Map(migrator?.stats.moves ?? [])
      // (as long as they take while moves keep ending: the bound is on a stall, one move's own)
      const stallMs = config.migrationTimeout + 2 * INTERRUPT_GRACE_MS + 5_000
      const moving = migrator?.idle(stallMs) ?? Promise.resolve(true)
      // then the entities left (of a role no other member holds): their work in progress finishes
      // for at most shutdown-timeout; answers still running then are interrupted: their partial
      // text is journaled and their callers are told ('interrupted'), which ends their calls too
      const [clean, work] = await Promise.all([
        stopGrpcServer(grpc.server, config.shutdownTimeout + INTERRUPT_GRACE_MS),
        moving.then(async (allMoved) => {
          // what this drain moved, by outcome (moved live, cold, failed, not-active)
          const outcomes: Record<string, number> = {}
          for (const [label, n] of migrator?.stats.moves ?? []) {
            const outcome = label.split('/')[1] as string
            const delta = n - (movesBefore.get(label) ?? 0)
            if (delta > 0) outcomes[outcome] = (outcomes[outcome] ?? 0) + delta
          }
          const moved = Object.values(outcomes).reduce((a, b) => a + b, 0)
          if (!allMoved) log.warn({ left: migrator?.pending }, `${migrator?.pending ?? 0} entity moves did not end (none ended for ${stallMs} ms); their entities recover from their journals on their new owners`)
          if (moved > 0 || !allMoved) log.info({ moved, outcomes, left: system.entities().length }, `drain: ${moved} entities moved to other members (${Object.entries(outcomes).map(([o, n]) => `${n} ${o}`).join(', ')}); ${system.entities().length} stay until the stop (no other member holds their role)`)
          // messages already on their way here still reach the entities' new owners (forwarded):
          // the node stays until none came for a moment (bounded)
          const transport = cluster.transport
          if (transport !== undefined && moved > 0) {
            const until = performance.now() + DRAIN_LINGER_MAX_MS
            for (let seen = -1; seen !== transport.stats.entityMessages && performance.now() < until;) {
              seen = transport.stats.entityMessages
              await new Promise((resolve) => setTimeout(resolve, DRAIN_QUIET_MS))
            }
          }
          return await system.settleEntities(config.shutdownTimeout, INTERRUPT_GRACE_MS)
        })
      ])
      if (work.interrupted > 0) log.warn({ interrupted: work.interrupted }, `${work.interrupted} entities were still busy after shutdown-timeout (${config.shutdownTimeout} ms) and were interrupted (agents keep their partial answers)`)
      if (!clean) log.warn(`in-flight calls did not finish within ${config.shutdownTimeout + INTERRUPT_GRACE_MS} ms; they were cut`)
      // the entities left stop now, while the mesh runs: their last writes go to replicas on other
      // nodes, which the parts' stop (the mesh before the actors) would cut off
      const unstopped = await system.stopEntities(config.shutdownTimeout)
      if (unstopped > 0) log.warn({ unstopped }, `${unstopped} entities did not stop with their writes durable within shutdown-timeout (${config.shutdownTimeout} ms); what they did not acknowledge is not kept, and their next owners recover them from their journals`)
      log.info({ streams }, `drained: ${streams} streams closed; stopping ${parts.started.reverse().join(', ')}`)
    }
    let stopping: Promise<void> | undefined
    let wasStopped = (): void => {}
    const stopped = new Promise<void>((resolve) => { wasStopped = resolve })
    const running: RunningNode = {
      peerId: identity.peerId,
      stopped,
      get roles () { return roles.current },
      grpc: reach.grpc,
      admin: reach.admin,
      adminTokenPath: adminToken.path,
      get state () { return state },
      stop () {
        stopping ??= (async () => {
          try {
            await drain()
          } catch (err) {
            // whatever went wrong while draining, the parts still stop: the journal is flushed
            log.error({ err }, `draining failed: ${describe(err)}; stopping anyway`)
          }
          await parts.stop()
          log.info('stopped: journal flushed')
          wasStopped()
        })()
        return stopping
      }
    }
    return running
  } catch (err) {
    await parts.stop()
    throw err
  }
}

/** Listens on `address` (port 0: any free port) and returns where it listens. */
async function listen (app: { listen (opts: { host: string, port: number }): Promise<unknown>, server: { address (): unknown } }, address: HostPort, what: string): Promise<HostPort> {
  try {
    await app.listen({ host: address.host, port: address.port })
  } catch (err) {
    throw new Error(`cannot listen for ${what} on ${formatHostPort(address)}: ${describe(err)}`, { cause: err })
  }
  const bound = app.server.address()
  return bound !== null && typeof bound === 'object' ? { host: address.host, port: (bound as { port: number }).port } : address
}
