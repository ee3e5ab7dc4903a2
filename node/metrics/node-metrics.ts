import { Registry, collectDefaultMetrics } from 'prom-client'
import type { Counter, Gauge, Histogram } from 'prom-client'
import type { AskOutcome } from '../../actors/index.ts'
import type { GenerateResult } from '../../runtimes/index.ts'
import type { ReplicationStats } from '../replication/index.ts'
import { ServiceFailures } from '../services/index.ts'
import { actorMetrics } from './actor-metrics.ts'
import type { ActorStatsView } from './actor-metrics.ts'
import { antiEntropyMetrics } from './anti-entropy-metrics.ts'
import type { AntiEntropyStatsView } from './anti-entropy-metrics.ts'
import { askMetrics } from './ask-metrics.ts'
import { auditMetrics } from './audit-metrics.ts'
import type { AuditStatsView } from './audit-metrics.ts'
import { backupMetrics } from './backup-metrics.ts'
import type { BackupStatsView } from './backup-metrics.ts'
import { catchUpMetrics } from './catch-up-metrics.ts'
import type { CatchUpStatsView } from './catch-up-metrics.ts'
import { chatMetrics } from './chat-metrics.ts'
import { clientLimitMetrics } from './client-limit-metrics.ts'
import type { ClientLimitStatsView } from './client-limit-metrics.ts'
import { inferenceMetrics } from './inference-metrics.ts'
import { jobMetrics } from './job-metrics.ts'
import type { JobStatsView } from './job-metrics.ts'
import { kvCacheMetrics } from './kv-cache-metrics.ts'
import { meshMetrics } from './mesh-metrics.ts'
import type { MeshStatsView } from './mesh-metrics.ts'
import { migrationMetrics } from './migration-metrics.ts'
import type { MoveObserver } from './migration-metrics.ts'
import { modelMetrics } from './model-metrics.ts'
import type { ModelStatsView } from './model-metrics.ts'
import { replicaMetrics } from './replica-metrics.ts'
import type { ReplicaStatsView } from './replica-metrics.ts'
import { replicationMetrics } from './replication-metrics.ts'
import { scrubMetrics } from './scrub-metrics.ts'
import type { ScrubStatsView } from './scrub-metrics.ts'
import { serviceFailureMetrics } from './service-failure-metrics.ts'
import { processMetrics } from './process-metrics.ts'
import { storeMetrics } from './store-metrics.ts'
import type { StoreStatsView } from './store-metrics.ts'

export interface NodeMetricsOptions {
  /** The node's failures of background services, exported as plexi_service_failures_total
   * (@default a new ServiceFailures, which `serviceFailures` then holds for the services). */
  readonly failures?: ServiceFailures
}

/**
 * The node's Prometheus metrics on one registry: `plexi_` prefix, base units (seconds, bytes),
 * `_total` only on counters. A facade over the metrics of each subsystem (one file each in
 * node/metrics: storeMetrics, actorMetrics, meshMetrics, …), each registering on the registry
 * from the subsystem's plain stats object, read at scrape time, so the hot paths pay nothing for
 * metrics. The metrics made here (the process's, the store's, the replicated journal's, asks,
 * chat, inference, KV caches and the services' failures) are fed as things happen; each other
 * subsystem's are registered on `registry` by the part that makes it (node/root), with its factory.
 */
export class NodeMetrics {
  readonly registry = new Registry()
  /** Counted by the node's background services (node/services), exported per service. */
  readonly serviceFailures: ServiceFailures
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
  /** For ActorSystemOptions.onAskSettled. */
  readonly observeAsk: (ms: number, outcome: AskOutcome) => void
  /** For WarmForwardingOptions.onForward. */
  readonly observeForwarded: (model: string, direction: 'sent' | 'served') => void
  /** For KvCacheTransferOptions.onTransfer. */
  readonly observeKvTransfer: (direction: 'sent' | 'received', bytes: number) => void
  /** For LlamaRuntimeOptions.onKvSaved. */
  readonly observeKvSaved: (model: string, bytes: number) => void
  /** For ModelManagerOptions.onResult. */
  readonly observeInference: (model: string, result: GenerateResult) => void

  constructor (store: StoreStatsView, opts: NodeMetricsOptions = {}) {
    const registry = this.registry
    collectDefaultMetrics({ register: registry, prefix: 'plexi_' })
    processMetrics(registry)
    this.serviceFailures = opts.failures ?? new ServiceFailures()
    storeMetrics(registry, store)
    this.replication = replicationMetrics(registry)
    const asks = askMetrics(registry)
    this.askDuration = asks.askDuration
    this.observeAsk = asks.observeAsk
    const chat = chatMetrics(registry)
    this.grpcStreamsOpen = chat.grpcStreamsOpen
    this.chatMessages = chat.chatMessages
    this.chatDeliveries = chat.chatDeliveries
    const kv = kvCacheMetrics(registry)
    this.kvCacheRequests = kv.kvCacheRequests
    this.kvCacheReusedTokens = kv.kvCacheReusedTokens
    this.kvCacheRestoredBytes = kv.kvCacheRestoredBytes
    this.kvCacheSavedBytes = kv.kvCacheSavedBytes
    this.kvCacheRestoreFailures = kv.kvCacheRestoreFailures
    this.kvCacheMovedBytes = kv.kvCacheMovedBytes
    this.observeKvSaved = kv.observeKvSaved
    this.observeKvTransfer = kv.observeKvTransfer
    const inference = inferenceMetrics(registry, kv)
    this.inferenceTokens = inference.inferenceTokens
    this.inferenceRequests = inference.inferenceRequests
    this.timeToFirstToken = inference.timeToFirstToken
    this.tokensPerSecond = inference.tokensPerSecond
    this.inferenceForwarded = inference.inferenceForwarded
    this.observeInference = inference.observeInference
    this.observeForwarded = inference.observeForwarded
    serviceFailureMetrics(registry, this.serviceFailures)
  }
}
