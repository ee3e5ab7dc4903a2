import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'
import type { TransportStats } from '../mesh/index.ts'
import type { ActorSystem, AskOutcome } from '../../actors/index.ts'
import type { GenerateResult, ModelManager } from '../../runtimes/index.ts'
import type { ReplicationStats } from '../replication/index.ts'
import type { LevelStore } from '../storage/index.ts'

/**
 * The node's Prometheus metrics: `plexi_` prefix, base units (seconds, bytes), `_total` only on
 * counters. Kernel and store counters are plain numbers there; they are read at scrape time, so
 * the hot paths pay nothing for metrics.
 */
interface ScrubStatsView { passes: number, running: boolean, scanned: number, expected: number, bytes: number, corruptFound: number, repaired: number, quarantined: number, lastPassAt: number }

/** What watchBackups reads of the backup service. */
export interface BackupStatsView {
  readonly lastDoneAt: number
  readonly lastBytes: number
  readonly lastNewBytes: number
  readonly bytesRead: number
  readonly bytesSent: number
  readonly repairs: number
  readonly unmended: number
  readonly restored: number
  readonly audits: number
}

export class NodeMetrics {
  readonly registry = new Registry()
  readonly grpcStreamsOpen: Gauge
  readonly chatMessages: Counter
  readonly chatDeliveries: Counter
  readonly askDuration: Histogram<'outcome'>
  readonly inferenceTokens: Counter<'model'>
  readonly inferenceRequests: Counter<'model' | 'outcome'>
  readonly timeToFirstToken: Histogram<'model'>
  readonly tokensPerSecond: Histogram<'model'>
  /** Agents' KV caches: how each request found its conversation's cache, and what was moved. */
  readonly kvCacheRequests: Counter<'model' | 'source'>
  readonly kvCacheReusedTokens: Counter<'model'>
  readonly kvCacheRestoredBytes: Counter<'model'>
  readonly kvCacheSavedBytes: Counter<'model'>
  readonly kvCacheRestoreFailures: Counter<'model'>
  readonly kvCacheMovedBytes: Counter<'direction'>
  readonly inferenceForwarded: Counter<'model' | 'direction'>
  /** Counters the replicated journal keeps (read at scrape time), and its quorum latency. */
  readonly replication: ReplicationStats

  constructor (store: LevelStore) {
    const registers = [this.registry]
    collectDefaultMetrics({ register: this.registry, prefix: 'plexi_' })

    counterOf(registers, 'plexi_journal_batches_total', 'Batches written (and fsynced) by the store', () => store.stats.writer.batches)
    counterOf(registers, 'plexi_journal_written_bytes_total', 'Bytes written by the store', () => store.stats.writer.bytes)

    const quorum = new Histogram({
      name: 'plexi_replication_quorum_seconds',
      help: 'Time from a journal append to its acknowledgement by the write quorum of replicas',
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers
    })
    const repl: ReplicationStats = {
      opens: 0, recoveries: 0, appends: 0, appendedRecords: 0, staleEpochs: 0, failures: 0, handOvers: 0, handOversRefused: 0,
      observeQuorum: (ms) => { quorum.observe(ms / 1000) }
    }
    this.replication = repl
    counterOf(registers, 'plexi_journal_appends_total', 'Journal records appended by entities on this node (acknowledged by the write quorum or failed)', () => repl.appendedRecords)
    counterOf(registers, 'plexi_replication_appends_total', 'Journal appends (batches of records) sent to replicas by owners on this node', () => repl.appends)
    counterOf(registers, 'plexi_replication_opens_total', 'Entity journals taken by an activation on this node (each fences a new epoch)', () => repl.opens)
    counterOf(registers, 'plexi_replication_recoveries_total', 'Activations that recovered a journal with records (its tail sealed in a new epoch)', () => repl.recoveries)
    counterOf(registers, 'plexi_replication_stale_epoch_total', 'Owners on this node told by replicas that a newer activation took their entity', () => repl.staleEpochs)
    counterOf(registers, 'plexi_replication_handovers_total', 'Entity journals taken on this node from a live move\'s hand-over: the previous owner\'s epoch goes on, no fence', () => repl.handOvers)
    counterOf(registers, 'plexi_replication_handover_refusals_total', 'Live moves whose hand-over did not fit this node\'s view (another replica set, a ticket used before): the journal was fenced instead', () => repl.handOversRefused)
    counterOf(registers, 'plexi_replication_failures_total', 'Entity journals that stopped because too few replicas answered in time', () => repl.failures)

    this.askDuration = new Histogram({
      name: 'plexi_ask_duration_seconds',
      help: 'Time from ask to reply, error or timeout',
      labelNames: ['outcome'],
      buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers
    })
    this.grpcStreamsOpen = new Gauge({ name: 'plexi_grpc_streams_open', help: 'Open gRPC Subscribe streams', registers })
    this.chatMessages = new Counter({ name: 'plexi_chat_messages_total', help: 'Chat messages posted and acknowledged', registers })
    this.chatDeliveries = new Counter({ name: 'plexi_chat_deliveries_total', help: 'Chat messages written to Subscribe streams on this node (one per message per stream, history included)', registers })

    this.inferenceTokens = new Counter({ name: 'plexi_inference_tokens_total', help: 'Tokens generated, by model', labelNames: ['model'], registers })
    this.kvCacheRequests = new Counter({
      name: 'plexi_kv_cache_requests_total',
      help: 'Agent requests by where their conversation\'s KV cache was: memory (still in a context), disk (restored from a saved state) or miss (evaluated from the start)',
      labelNames: ['model', 'source'],
      registers
    })
    this.kvCacheReusedTokens = new Counter({ name: 'plexi_kv_cache_reused_tokens_total', help: 'Prompt tokens taken from a KV cache instead of being evaluated again', labelNames: ['model'], registers })
    this.kvCacheRestoredBytes = new Counter({ name: 'plexi_kv_cache_restored_bytes_total', help: 'Bytes of saved KV state read back into a context', labelNames: ['model'], registers })
    this.kvCacheSavedBytes = new Counter({ name: 'plexi_kv_cache_saved_bytes_total', help: 'Bytes of KV state saved to disk (conversations evicted from memory, or held when the model unloaded)', labelNames: ['model'], registers })
    this.inferenceForwarded = new Counter({
      name: 'plexi_inference_forwarded_total',
      help: 'Requests for a model this node had not loaded that a member with it loaded answered (sent), and requests this node answered for another member (served)',
      labelNames: ['model', 'direction'],
      registers
    })
    this.kvCacheMovedBytes = new Counter({
      name: 'plexi_kv_cache_moved_bytes_total',
      help: 'Bytes of agents\' KV caches sent ahead of an agent that moved to another node, or received for one that moved here',
      labelNames: ['direction'],
      registers
    })
    this.kvCacheRestoreFailures = new Counter({
      name: 'plexi_kv_cache_restore_failures_total',
      help: 'Saved KV states refused (another model or llama.cpp build, damaged, or refused by llama.cpp); their prompts were evaluated again',
      labelNames: ['model'],
      registers
    })
    this.inferenceRequests = new Counter({
      name: 'plexi_inference_requests_total',
      help: 'Inference requests by model and how they ended: eos, max-tokens, cancelled, context-full, or error',
      labelNames: ['model', 'outcome'],
      registers
    })
    this.timeToFirstToken = new Histogram({
      name: 'plexi_inference_time_to_first_token_seconds',
      help: 'Time from a request reaching its runtime to its first token, by model',
      labelNames: ['model'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers
    })
    this.tokensPerSecond = new Histogram({
      name: 'plexi_inference_tokens_per_second',
      help: 'Generation speed of each request after its first token, by model',
      labelNames: ['model'],
      buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000],
      registers
    })
  }

  /** The actor system's counters and gauges, read at scrape time. */
  watchActors (system: ActorSystem): void {
    const registers = [this.registry]
    const stats = system.stats
    new Gauge({
      name: 'plexi_actors',
      help: 'Live actors by kind (the entity type for entities)',
      labelNames: ['kind'],
      registers,
      collect () {
        this.reset()
        for (const [kind, n] of stats.actorsByKind) this.set({ kind }, n)
      }
    })
    new Gauge({
      name: 'plexi_mailbox_messages',
      help: 'Messages waiting in mailboxes, by actor kind',
      labelNames: ['kind'],
      registers,
      collect () {
        this.reset()
        const depth = new Map<string, number>()
        for (const actor of system.actors()) depth.set(actor.kind, (depth.get(actor.kind) ?? 0) + actor.mailbox)
        for (const [kind, n] of depth) this.set({ kind }, n)
      }
    })
    counterOf(registers, 'plexi_messages_processed_total', 'Messages handled by actors', () => stats.messagesProcessed)
    const seen = { full: 0, dead: 0 }
    new Counter({
      name: 'plexi_messages_dropped_total',
      help: 'Messages refused: mailbox_full (tell or ask) or dead_letter (actor stopped)',
      labelNames: ['reason'],
      registers,
      collect () {
        const full = stats.tellsDropped + stats.asksRejected
        const dead = stats.deadLetters
        this.labels('mailbox_full').inc(full - seen.full)
        this.labels('dead_letter').inc(dead - seen.dead)
        seen.full = full
        seen.dead = dead
      }
    })
    counterOf(registers, 'plexi_actor_failures_total', 'Actor handlers or inits that threw', () => stats.failures)
    counterOf(registers, 'plexi_actor_refusals_total', 'Requests an actor refused (invalid, unknown, denied, over a limit): the asker was told, the actor went on', () => stats.refusals)
    counterOf(registers, 'plexi_actor_restarts_total', 'Actor restarts by supervisors', () => stats.restarts)
    counterOf(registers, 'plexi_supervisor_escalations_total', 'Restart intensity exceeded', () => stats.escalations)
    counterOf(registers, 'plexi_entity_activations_total', 'Entity activations', () => stats.entityActivations)
    counterOf(registers, 'plexi_entity_passivations_total', 'Entity passivations', () => stats.entityPassivations)
    counterOf(registers, 'plexi_entities_superseded_total', 'Entity activations stopped because a newer owner took the entity (a steady cluster has none)', () => stats.entitiesSuperseded)
    counterOf(registers, 'plexi_asks_timed_out_total', 'Asks that got no reply in time', () => stats.asksTimedOut)
  }

  /** Queue depth and loaded models, read from the model manager at scrape time. */
  watchModels (manager: ModelManager): void {
    const registers = [this.registry]
    new Gauge({
      name: 'plexi_inference_queue_depth',
      help: 'Requests waiting for a free context, by model',
      labelNames: ['model'],
      registers,
      collect () {
        this.reset()
        for (const [model, n] of manager.queueDepths()) this.set({ model }, n)
      }
    })
    new Gauge({
      name: 'plexi_models_loaded',
      help: 'Models loaded on this node (1 per model), with their estimated memory in plexi_model_memory_bytes',
      labelNames: ['model'],
      registers,
      collect () {
        this.reset()
        for (const m of manager.loaded()) this.set({ model: m.model }, 1)
      }
    })
    new Gauge({
      name: 'plexi_model_memory_bytes',
      help: 'Estimated memory held by each loaded model',
      labelNames: ['model'],
      registers,
      collect () {
        this.reset()
        for (const m of manager.loaded()) this.set({ model: m.model }, m.memoryBytes)
      }
    })
  }

  /** For WarmForwardingOptions.onForward. */
  readonly observeForwarded = (model: string, direction: 'sent' | 'served'): void => {
    this.inferenceForwarded.inc({ model, direction })
  }

  /** For KvCacheTransferOptions.onTransfer. */
  readonly observeKvTransfer = (direction: 'sent' | 'received', bytes: number): void => {
    this.kvCacheMovedBytes.inc({ direction }, bytes)
  }

  /** For LlamaRuntimeOptions.onKvSaved. */
  readonly observeKvSaved = (model: string, bytes: number): void => {
    this.kvCacheSavedBytes.inc({ model }, bytes)
  }

  /** For ModelManagerOptions.onResult. */
  readonly observeInference = (model: string, result: GenerateResult): void => {
    this.inferenceTokens.inc({ model }, result.completionTokens)
    this.inferenceRequests.inc({ model, outcome: result.stopReason })
    const cache = result.cache
    if (cache !== undefined) {
      this.kvCacheRequests.inc({ model, source: cache.source })
      this.kvCacheReusedTokens.inc({ model }, cache.reusedTokens)
      this.kvCacheRestoredBytes.inc({ model }, cache.restoredBytes)
      if (cache.restoreFailure !== undefined) this.kvCacheRestoreFailures.inc({ model })
    }
    if (result.completionTokens > 0) {
      this.timeToFirstToken.observe({ model }, result.ttftMs / 1000)
      const generating = (result.durationMs - result.ttftMs) / 1000
      if (result.completionTokens > 1 && generating > 0) this.tokensPerSecond.observe({ model }, (result.completionTokens - 1) / generating)
    }
  }

  /** The mesh: members by status, and the actor transport's traffic. */
  /** What this node's replicas do for owners (here and on other nodes). */
  watchReplicas (replicas: { replicaStats (): { fences: number, appends: number, records: number, staleRefusals: number, mismatches: number }, readonly opensWaiting: number }): void {
    const registers = [this.registry]
    counterOf(registers, 'plexi_replication_replica_fences_total', 'Fences (epoch promises asked) this node\'s replicas answered', () => replicas.replicaStats().fences)
    counterOf(registers, 'plexi_replication_replica_records_total', 'Journal records this node\'s replicas stored for owners', () => replicas.replicaStats().records)
    counterOf(registers, 'plexi_replication_stale_refusals_total', 'Appends this node\'s replicas refused because their owner\'s epoch was stale', () => replicas.replicaStats().staleRefusals)
    counterOf(registers, 'plexi_replication_mismatches_total', 'Appends this node\'s replicas answered with "mismatch" (the owner resent from where the logs part)', () => replicas.replicaStats().mismatches)
    new Gauge({ name: 'plexi_replication_opens_waiting', help: 'Entity journals waiting for a turn to be taken (at most 32 at once per node)', registers, collect () { this.set(replicas.opensWaiting) } })
  }

  watchAntiEntropy (ae: { readonly stats: { passes: number, lastPassAt: number, partitionsDiffering: number, recordsFilled: number, recordsRepaired: number, bytes: number, divergent: number, failures: number } }): void {
    const registers = [this.registry]
    counterOf(registers, 'plexi_replication_anti_entropy_passes_total', 'Anti-entropy passes over this node\'s partitions', () => ae.stats.passes)
    counterOf(registers, 'plexi_replication_divergence_found_total', 'Partitions whose Merkle root differed from the replica compared with, per pass', () => ae.stats.partitionsDiffering)
    const last = { missed: 0, damaged: 0, scrub: 0 }
    const repaired: Counter = new Counter({
      name: 'plexi_replication_records_repaired_total',
      help: 'Records this node took from another replica: missed (after its head, it was down), damaged (missing or failing their seal before its head: anti-entropy), scrub (failing their seal: scrub)',
      labelNames: ['kind'],
      registers,
      collect () {
        const now = { missed: ae.stats.recordsFilled, damaged: ae.stats.recordsRepaired, scrub: scrubRepaired() }
        for (const kind of ['missed', 'damaged', 'scrub'] as const) {
          repaired.inc({ kind }, Math.max(0, now[kind] - last[kind]))
          last[kind] = now[kind]
        }
      }
    })
    counterOf(registers, 'plexi_replication_bytes_moved_total', 'Bytes anti-entropy took from other replicas (tree hashes, listings, digests and records)', () => ae.stats.bytes)
    counterOf(registers, 'plexi_replication_divergent_entities_total', 'Entities whose log parted from another replica\'s, found by anti-entropy and left to their owners', () => ae.stats.divergent)
    counterOf(registers, 'plexi_replication_anti_entropy_failures_total', 'Partitions anti-entropy could not compare (the other replica did not answer, or answered nonsense)', () => ae.stats.failures)
    new Gauge({ name: 'plexi_replication_last_full_pass_seconds', help: 'Unix time when the last anti-entropy pass over this node\'s partitions ended (0: none yet)', registers, collect () { this.set(ae.stats.lastPassAt / 1000) } })
    const scrubRepaired = (): number => this.#scrub?.stats.repaired ?? 0
  }

  #scrub: { readonly stats: ScrubStatsView } | undefined

  /** Backups: what this node holds for the cluster (a backup-role member), and what its jobs did. */
  watchBackups (service: { readonly stats: BackupStatsView }, store: { readonly size: number, readonly bytes: number } | undefined, holderRepair?: { readonly stats: { readonly copied: number } }): void {
    const registers = [this.registry]
    counterOf(registers, 'plexi_backup_rereplicated_total', 'Chunk copies this backup holder put on the holders that should keep them and lacked them (a holder gone, a copy lost), with no key', () => holderRepair?.stats.copied ?? 0)
    new Gauge({ name: 'plexi_backup_chunks_stored', help: 'Sealed backup chunks this node holds for the cluster (0 without the backup role)', registers, collect () { this.set(store?.size ?? 0) } })
    new Gauge({ name: 'plexi_backup_stored_bytes', help: 'Bytes of sealed backup chunks this node holds for the cluster', registers, collect () { this.set(store?.bytes ?? 0) } })
    new Gauge({ name: 'plexi_backup_last_success_seconds', help: 'Unix time when the last backup this node made ended done (0: none since it started)', registers, collect () { this.set(service.stats.lastDoneAt / 1000) } })
    new Gauge({
      name: 'plexi_backup_dedup_ratio',
      help: 'Share of the last backup\'s bytes that earlier backups had stored already (0 to 1; what deduplication saved)',
      registers,
      collect () { this.set(service.stats.lastBytes === 0 ? 0 : 1 - service.stats.lastNewBytes / service.stats.lastBytes) }
    })
    counterOf(registers, 'plexi_backup_read_bytes_total', 'Plaintext bytes this node\'s backups read from the partitions', () => service.stats.bytesRead)
    counterOf(registers, 'plexi_backup_sent_bytes_total', 'Plaintext bytes of new chunks this node\'s backups sent to holders', () => service.stats.bytesSent)
    counterOf(registers, 'plexi_backup_repairs_total', 'Backup chunk copies found missing or damaged and put back from a whole one (verify)', () => service.stats.repairs)
    counterOf(registers, 'plexi_backup_audit_failures_total', 'Backup chunks found not whole on every holder and not mended (verify)', () => service.stats.unmended)
    counterOf(registers, 'plexi_backup_audits_total', 'Backup audits made by this node (random chunks of the newest backup challenged on their holders)', () => service.stats.audits)
    counterOf(registers, 'plexi_backup_restored_entities_total', 'Entities whose journal a restore made what a backup held', () => service.stats.restored)
  }

  watchScrub (scrub: { readonly stats: ScrubStatsView }): void {
    this.#scrub = scrub
    const registers = [this.registry]
    counterOf(registers, 'plexi_replication_scrub_passes_total', 'Scrub passes over this node\'s store', () => scrub.stats.passes)
    counterOf(registers, 'plexi_replication_scrub_bytes_total', 'Bytes scrub read and checked', () => scrub.stats.bytes)
    new Gauge({
      name: 'plexi_replication_scrub_progress_ratio',
      help: 'How far the running scrub pass got (values checked / records held when it started; 1 between passes)',
      registers,
      collect () { this.set(scrub.stats.running ? Math.min(1, scrub.stats.scanned / Math.max(1, scrub.stats.expected)) : 1) }
    })
    counterOf(registers, 'plexi_replication_corrupt_records_found_total', 'Stored values whose SHA-256 seal failed when scrub or a read checked them', () => scrub.stats.corruptFound)
    new Gauge({ name: 'plexi_replication_quarantined_values', help: 'Damaged values quarantined and not yet repaired (as the last scrub pass left them)', registers, collect () { this.set(scrub.stats.quarantined) } })
    new Gauge({ name: 'plexi_replication_scrub_last_pass_seconds', help: 'Unix time when the last scrub pass ended (0: none yet)', registers, collect () { this.set(scrub.stats.lastPassAt / 1000) } })
  }

  /** Replica moves (catch-up.ts): partitions still catching up here, nodes this node replaced. */
  watchCatchUp (catchUp: { readonly status: { partitions: number, caughtUp: number, replaced: readonly string[] } }): void {
    const registers = [this.registry]
    new Gauge({
      name: 'plexi_replication_learner_partitions',
      help: 'Partitions this node is a new replica of and still catches up on (it does not count as a full replica of them yet)',
      registers,
      collect () {
        const s = catchUp.status
        this.set(s.partitions - s.caughtUp)
      }
    })
    counterOf(registers, 'plexi_replication_nodes_replaced_total', 'Storage nodes this node found down past replica-replace-after and replaced', () => catchUp.status.replaced.length)
  }

  /** Live migration: moves by trigger and outcome, the pause of each (messages waited), messages
   * waiting for a move now. */
  watchMigrations (buffered: () => { entities: number, messages: number }, pending: () => number, concurrency: () => number): (result: { outcome: string, pauseMs: number }, trigger: string) => void {
    const registers = [this.registry]
    const moves = new Counter({ name: 'plexi_migrations_total', help: 'Entities this node moved to another node (live migration), by trigger (drain, rebalance, admin, claim) and outcome (moved: live; cold: recovered from its journal by the new owner; failed: not taken; not-active)', labelNames: ['trigger', 'outcome'], registers })
    const pause = new Histogram({
      name: 'plexi_migration_pause_seconds',
      help: 'Time an entity took no messages while it moved (they waited, then reached the new owner), per move that ended moved',
      // fine between 1 and 100 ms, where live moves land and where the goal is (p99 <= 50 ms):
      // a quantile read from these buckets is off by at most the width of its bucket
      buckets: [0.001, 0.002, 0.003, 0.004, 0.005, 0.0075, 0.01, 0.0125, 0.015, 0.02, 0.025, 0.03, 0.04, 0.05, 0.075, 0.1, 0.15, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers
    })
    new Gauge({ name: 'plexi_migration_buffered_messages', help: 'Messages waiting on this node for an entity that is moving (to or from here)', registers, collect () { this.set(buffered().messages) } })
    new Gauge({ name: 'plexi_migration_buffered_entities', help: 'Entities whose messages wait on this node for a move', registers, collect () { this.set(buffered().entities) } })
    new Gauge({ name: 'plexi_migrations_pending', help: 'Moves queued or under way on this node (a drain or rebalance)', registers, collect () { this.set(pending()) } })
    new Gauge({ name: 'plexi_migration_concurrency', help: 'Queued moves this node runs at once now: as many as keep pauses near 20 ms, at most migration-concurrency', registers, collect () { this.set(concurrency()) } })
    return (result, trigger) => {
      moves.inc({ trigger, outcome: result.outcome })
      if (result.outcome === 'moved') pause.observe(result.pauseMs / 1000)
    }
  }

  watchMesh (mesh: { members (): ReadonlyArray<{ status: string }>, readonly transport: { readonly stats: TransportStats, queued (): Array<{ bytes: number }> } | undefined }): void {
    const registers = [this.registry]
    new Gauge({
      name: 'plexi_mesh_members',
      help: 'Other members this node knows, by status',
      labelNames: ['status'],
      registers,
      collect () {
        this.reset()
        for (const status of ['joining', 'up', 'suspect', 'draining', 'down']) this.set({ status }, 0)
        for (const m of mesh.members()) this.inc({ status: m.status })
      }
    })
    // a lone node (no cluster key) exports the same series at zero: dashboards and alerts need not
    // care which kind of node they scrape
    const transport = mesh.transport
    const stats = transport?.stats ?? { writes: 0, framesSent: 0, framesReceived: 0, envelopesSent: 0, envelopesReceived: 0, forwarded: 0, entityMessages: 0, framesRefused: 0 }
    counterOf(registers, 'plexi_mesh_writes_total', 'Writes to actor protocol streams (each holds one or more frames)', () => stats.writes)
    counterOf(registers, 'plexi_mesh_frames_sent_total', 'Actor protocol frames sent', () => stats.framesSent)
    counterOf(registers, 'plexi_mesh_frames_received_total', 'Actor protocol frames received', () => stats.framesReceived)
    counterOf(registers, 'plexi_mesh_envelopes_sent_total', 'Messages, replies and hints sent to other nodes', () => stats.envelopesSent)
    counterOf(registers, 'plexi_mesh_envelopes_received_total', 'Messages, replies and hints received from other nodes', () => stats.envelopesReceived)
    counterOf(registers, 'plexi_mesh_forwarded_total', 'Entity messages forwarded once to their owner (the sender\'s view was stale)', () => stats.forwarded)
    counterOf(registers, 'plexi_mesh_frames_refused_total', 'Frames that broke the protocol; each closed its stream', () => stats.framesRefused)
    new Gauge({
      name: 'plexi_mesh_queued_bytes',
      help: 'Bytes waiting to be sent to other nodes',
      registers,
      collect () { this.set((transport?.queued() ?? []).reduce((sum, q) => sum + q.bytes, 0)) }
    })
  }

  /** Jobs this node runs and remembers (node/jobs), read at scrape time. */
  /** The audit trail's counters (node/admin AuditTrail), read at scrape time. */
  watchAudit (stats: { readonly written: number, readonly failures: number, readonly dropped: number }): void {
    const registers = [this.registry]
    counterOf(registers, 'plexi_audit_records_total', 'Admin actions and failed admin authentications recorded in the audit trail by this node', () => stats.written)
    counterOf(registers, 'plexi_audit_failures_total', 'Audit records this node could not write (logged; the request was answered anyway)', () => stats.failures)
    counterOf(registers, 'plexi_audit_dropped_total', 'Failed admin authentications left out of the audit trail (over 30 a minute on this node)', () => stats.dropped)
  }

  /** The limits per client address (node/limits ClientLimits): refusals by endpoint and reason,
   * failed authentications by endpoint, streams held open. Every series exists from the start, at
   * zero, so that an alert on them has something to watch. */
  watchClientLimits (stats: {
    readonly refused: Readonly<Record<string, Readonly<Record<string, number>>>>
    readonly failedAuthentications: Readonly<Record<string, number>>
    readonly streamsOpen: number
  }): void {
    const registers = [this.registry]
    const seen = new Map<string, number>()
    /** Adds what `counter` has not been told of yet (the stats only grow). */
    const catchUp = (counter: Counter<string>, labels: Record<string, string>, now: number): void => {
      const id = JSON.stringify(labels)
      counter.inc(labels, Math.max(0, now - (seen.get(id) ?? 0)))
      seen.set(id, now)
    }
    const refused: Counter<'endpoint' | 'reason'> = new Counter({
      name: 'plexi_client_refusals_total',
      help: 'Requests and streams refused by the limits per client address, by endpoint (grpc, admin, metrics, openai) and reason: rate (ip-rate), auth-failures (auth-failures-per-min), streams (streams-per-ip), user-rate (user-rate: one user from any address)',
      labelNames: ['endpoint', 'reason'],
      registers,
      collect () {
        for (const [endpoint, reasons] of Object.entries(stats.refused)) {
          for (const [reason, n] of Object.entries(reasons)) catchUp(refused, { endpoint, reason }, n)
        }
      }
    })
    const failed: Counter<'endpoint'> = new Counter({
      name: 'plexi_auth_failures_total',
      help: 'Requests whose token was wrong, by endpoint (grpc, admin, metrics, openai); requests with no token are not counted',
      labelNames: ['endpoint'],
      registers,
      collect () {
        for (const [endpoint, n] of Object.entries(stats.failedAuthentications)) catchUp(failed, { endpoint }, n)
      }
    })
    new Gauge({ name: 'plexi_client_streams_open', help: 'Streams held open by clients, every endpoint together (counted against streams-per-ip)', registers, collect () { this.set(stats.streamsOpen) } })
  }

  watchJobs (jobs: { list (): ReadonlyArray<{ kind: string, state: string }>, readonly stats: { readonly started: Readonly<Record<string, number>> } }): void {
    const registers = [this.registry]
    new Gauge({
      name: 'plexi_jobs',
      help: 'Jobs this node runs or remembers (its last 100 finished), by kind and state',
      labelNames: ['kind', 'state'],
      registers,
      collect () {
        this.reset()
        // every kind and state, at zero too: an alert on failed drains needs the series to exist
        for (const kind of Object.keys(jobs.stats.started)) for (const state of ['running', 'done', 'failed', 'cancelled']) this.set({ kind, state }, 0)
        for (const job of jobs.list()) this.inc({ kind: job.kind, state: job.state })
      }
    })
    const seen = new Map<string, number>()
    const started: Counter<'kind'> = new Counter({
      name: 'plexi_jobs_started_total',
      help: 'Jobs this node started, by kind',
      labelNames: ['kind'],
      registers,
      collect () {
        for (const [kind, n] of Object.entries(jobs.stats.started)) {
          started.inc({ kind }, Math.max(0, n - (seen.get(kind) ?? 0)))
          seen.set(kind, n)
        }
      }
    })
  }

  /** For ActorSystemOptions.onAskSettled. */
  readonly observeAsk = (ms: number, outcome: AskOutcome): void => {
    this.askDuration.observe({ outcome }, ms / 1000)
  }
}

/** A counter whose value is a number kept elsewhere, read at scrape time. */
function counterOf (registers: Registry[], name: string, help: string, read: () => number): void {
  let last = 0
  const counter: Counter = new Counter({
    name,
    help,
    registers,
    collect () {
      const now = read()
      if (now > last) counter.inc(now - last)
      last = now
    }
  })
}
