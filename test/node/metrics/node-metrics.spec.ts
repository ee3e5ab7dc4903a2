import { expect } from 'chai'
import { NodeMetrics, actorMetrics, antiEntropyMetrics, auditMetrics, backupMetrics, catchUpMetrics, clientLimitMetrics, jobMetrics, meshMetrics, migrationMetrics, modelMetrics, pluginMetrics, replicaMetrics, scrubMetrics } from '../../../node/metrics/index.ts'
import { ServiceFailures } from '../../../node/services/index.ts'
import { families, scrape, seriesValue } from '../../helpers/metric-text.ts'

/** Every metric family a node exports besides prom-client's process ones, with its type: what
 * users' dashboards and alerts scrape, so a name or type changed here is a break of the interface. */
const FAMILIES: ReadonlyArray<readonly [string, string]> = [
  ['plexi_actor_failures_total', 'counter'],
  ['plexi_actor_refusals_total', 'counter'],
  ['plexi_actor_restarts_total', 'counter'],
  ['plexi_actors', 'gauge'],
  ['plexi_ask_duration_seconds', 'histogram'],
  ['plexi_asks_timed_out_total', 'counter'],
  ['plexi_audit_dropped_total', 'counter'],
  ['plexi_audit_failures_total', 'counter'],
  ['plexi_audit_records_total', 'counter'],
  ['plexi_auth_failures_total', 'counter'],
  ['plexi_backup_audit_failures_total', 'counter'],
  ['plexi_backup_audits_total', 'counter'],
  ['plexi_backup_chunks_stored', 'gauge'],
  ['plexi_backup_dedup_ratio', 'gauge'],
  ['plexi_backup_last_success_seconds', 'gauge'],
  ['plexi_backup_read_bytes_total', 'counter'],
  ['plexi_backup_repairs_total', 'counter'],
  ['plexi_backup_rereplicated_total', 'counter'],
  ['plexi_backup_restored_entities_total', 'counter'],
  ['plexi_backup_sent_bytes_total', 'counter'],
  ['plexi_backup_stored_bytes', 'gauge'],
  ['plexi_chat_deliveries_total', 'counter'],
  ['plexi_chat_messages_total', 'counter'],
  ['plexi_client_refusals_total', 'counter'],
  ['plexi_client_streams_open', 'gauge'],
  ['plexi_entities_superseded_total', 'counter'],
  ['plexi_entity_activations_total', 'counter'],
  ['plexi_entity_passivations_total', 'counter'],
  ['plexi_grpc_streams_open', 'gauge'],
  ['plexi_inference_forwarded_total', 'counter'],
  ['plexi_inference_queue_depth', 'gauge'],
  ['plexi_inference_requests_total', 'counter'],
  ['plexi_inference_time_to_first_token_seconds', 'histogram'],
  ['plexi_inference_tokens_per_second', 'histogram'],
  ['plexi_inference_tokens_total', 'counter'],
  ['plexi_jobs', 'gauge'],
  ['plexi_jobs_started_total', 'counter'],
  ['plexi_journal_appends_total', 'counter'],
  ['plexi_journal_batches_total', 'counter'],
  ['plexi_journal_written_bytes_total', 'counter'],
  ['plexi_kv_cache_moved_bytes_total', 'counter'],
  ['plexi_kv_cache_requests_total', 'counter'],
  ['plexi_kv_cache_restore_failures_total', 'counter'],
  ['plexi_kv_cache_restored_bytes_total', 'counter'],
  ['plexi_kv_cache_reused_tokens_total', 'counter'],
  ['plexi_kv_cache_saved_bytes_total', 'counter'],
  ['plexi_mailbox_messages', 'gauge'],
  ['plexi_mesh_envelopes_received_total', 'counter'],
  ['plexi_mesh_envelopes_sent_by_kind_total', 'counter'],
  ['plexi_mesh_membership_sent_total', 'counter'],
  ['plexi_mesh_dials_total', 'counter'],
  ['plexi_mesh_envelopes_sent_total', 'counter'],
  ['plexi_mesh_forwarded_total', 'counter'],
  ['plexi_mesh_frames_received_total', 'counter'],
  ['plexi_mesh_frames_refused_total', 'counter'],
  ['plexi_mesh_frames_sent_total', 'counter'],
  ['plexi_mesh_members', 'gauge'],
  ['plexi_mesh_queued_bytes', 'gauge'],
  ['plexi_mesh_writes_total', 'counter'],
  ['plexi_messages_dropped_total', 'counter'],
  ['plexi_messages_processed_total', 'counter'],
  ['plexi_migration_buffered_entities', 'gauge'],
  ['plexi_migration_buffered_messages', 'gauge'],
  ['plexi_migration_concurrency', 'gauge'],
  ['plexi_migration_pause_seconds', 'histogram'],
  ['plexi_migrations_pending', 'gauge'],
  ['plexi_migrations_total', 'counter'],
  ['plexi_model_memory_bytes', 'gauge'],
  ['plexi_models_loaded', 'gauge'],
  ['plexi_plugin_call_seconds', 'histogram'],
  ['plexi_plugin_calls_total', 'counter'],
  ['plexi_plugin_kills_total', 'counter'],
  ['plexi_plugin_memory_bytes', 'gauge'],
  ['plexi_plugin_restarts_total', 'counter'],
  ['plexi_plugin_up', 'gauge'],
  ['plexi_replication_anti_entropy_failures_total', 'counter'],
  ['plexi_replication_anti_entropy_passes_total', 'counter'],
  ['plexi_replication_appends_total', 'counter'],
  ['plexi_replication_bytes_moved_total', 'counter'],
  ['plexi_replication_corrupt_records_found_total', 'counter'],
  ['plexi_replication_divergence_found_total', 'counter'],
  ['plexi_replication_divergent_entities_total', 'counter'],
  ['plexi_replication_failures_total', 'counter'],
  ['plexi_replication_handover_refusals_total', 'counter'],
  ['plexi_replication_handovers_total', 'counter'],
  ['plexi_replication_last_full_pass_seconds', 'gauge'],
  ['plexi_replication_learner_partitions', 'gauge'],
  ['plexi_replication_mismatches_total', 'counter'],
  ['plexi_replication_nodes_replaced_total', 'counter'],
  ['plexi_replication_opens_total', 'counter'],
  ['plexi_replication_opens_waiting', 'gauge'],
  ['plexi_replication_quarantined_values', 'gauge'],
  ['plexi_replication_quorum_seconds', 'histogram'],
  ['plexi_replication_records_repaired_total', 'counter'],
  ['plexi_replication_records_rewritten_total', 'counter'],
  ['plexi_replication_trims_total', 'counter'],
  ['plexi_replication_records_truncated_total', 'counter'],
  ['plexi_replication_version_refusals_total', 'counter'],
  ['plexi_replication_recoveries_total', 'counter'],
  ['plexi_replication_replica_fences_total', 'counter'],
  ['plexi_replication_replica_records_total', 'counter'],
  ['plexi_replication_scrub_bytes_total', 'counter'],
  ['plexi_replication_scrub_last_pass_seconds', 'gauge'],
  ['plexi_replication_scrub_passes_total', 'counter'],
  ['plexi_replication_scrub_progress_ratio', 'gauge'],
  ['plexi_replication_stale_epoch_total', 'counter'],
  ['plexi_replication_stale_refusals_total', 'counter'],
  ['plexi_supervisor_escalations_total', 'counter'],
  ['plexi_service_failures_total', 'counter']
]

const stats = () => ({
  actors: { actorsByKind: new Map([['room', 1]]), messagesProcessed: 0, tellsDropped: 0, asksRejected: 0, deadLetters: 0, failures: 0, refusals: 0, restarts: 0, escalations: 0, entityActivations: 0, entityPassivations: 0, entitiesSuperseded: 0, asksTimedOut: 0 },
  scrub: { passes: 0, running: false, scanned: 0, expected: 0, bytes: 0, corruptFound: 0, repaired: 0, quarantined: 0, lastPassAt: 0 },
  ae: { passes: 0, lastPassAt: 0, partitionsDiffering: 0, recordsFilled: 0, recordsRepaired: 0, bytes: 0, divergent: 0, failures: 0 },
  backup: { lastDoneAt: 0, lastBytes: 0, lastNewBytes: 0, bytesRead: 0, bytesSent: 0, repairs: 0, unmended: 0, restored: 0, audits: 0 }
})

/** A NodeMetrics with every subsystem's metrics registered, as a node with every role has them. */
function watchedAll (failures?: ServiceFailures) {
  const s = stats()
  const metrics = new NodeMetrics({ stats: { writer: { batches: 0, bytes: 0 } } }, failures === undefined ? {} : { failures })
  const r = metrics.registry
  jobMetrics(r, { list: () => [], stats: { started: { repair: 0 } } })
  actorMetrics(r, { stats: s.actors, actors: () => [] })
  modelMetrics(r, { queueDepths: () => new Map(), loaded: () => [] })
  meshMetrics(r, { members: () => [], transport: undefined })
  const onMove = migrationMetrics(r, { buffered: () => ({ entities: 0, messages: 0 }), pending: () => 0, concurrency: () => 1 })
  replicaMetrics(r, { replicaStats: () => ({ fences: 0, appends: 0, records: 0, staleRefusals: 0, mismatches: 0, rewritten: 0, trims: 0, truncated: 0, versionRefusals: 0 }), opensWaiting: 0 })
  antiEntropyMetrics(r, { stats: s.ae }, () => s.scrub.repaired)
  scrubMetrics(r, { stats: s.scrub })
  catchUpMetrics(r, { status: { partitions: 0, caughtUp: 0, replaced: [] } })
  backupMetrics(r, { service: { stats: s.backup }, store: undefined })
  auditMetrics(r, { written: 0, failures: 0, dropped: 0 })
  clientLimitMetrics(r, { refused: { grpc: { rate: 0 } }, failedAuthentications: { grpc: 0 }, streamsOpen: 0 })
  pluginMetrics(r, () => undefined)
  return { metrics, s, onMove }
}

describe('NodeMetrics', () => {
  it('should export every family users scrape, each with its type and the plexi_ prefix, when every subsystem is watched', async () => {
    const { metrics } = watchedAll()
    const exported = [...families(await scrape(metrics.registry))]
      .filter(([name]) => !name.startsWith('plexi_process_') && !name.startsWith('plexi_nodejs_'))
      .map(([name, f]) => [name, f.type] as const)
      .sort((a, b) => a[0].localeCompare(b[0]))
    expect(exported).to.deep.equal([...FAMILIES].sort((a, b) => a[0].localeCompare(b[0])))
    // and prom-client's own, under the same prefix
    expect(families(await scrape(metrics.registry)).has('plexi_process_cpu_seconds_total')).to.equal(true)
  })

  it('should count the records scrub repaired with anti-entropy\'s, once scrub is watched', async () => {
    const { metrics, s } = watchedAll()
    s.scrub.repaired = 4
    s.ae.recordsRepaired = 2
    const text = await scrape(metrics.registry)
    expect(seriesValue(text, 'plexi_replication_records_repaired_total{kind="scrub"}')).to.equal(4)
    expect(seriesValue(text, 'plexi_replication_records_repaired_total{kind="damaged"}')).to.equal(2)
  })

  it('should feed the counters made at construction through its observers and its replication stats, when the node reports', async () => {
    const { metrics, onMove } = watchedAll()
    metrics.observeAsk(5, 'ok')
    metrics.replication.appends = 2
    metrics.chatMessages.inc()
    metrics.observeKvSaved('tiny', 10)
    metrics.observeKvTransfer('sent', 20)
    metrics.observeForwarded('tiny', 'served')
    metrics.observeInference('tiny', { text: 'ab', stopReason: 'eos', promptTokens: 1, completionTokens: 2, droppedTurns: 0, ttftMs: 10, durationMs: 20, cache: { source: 'memory', reusedTokens: 1, restoredBytes: 0 } })
    onMove({ outcome: 'moved', pauseMs: 4 }, 'drain')
    const text = await scrape(metrics.registry)
    expect([
      'plexi_ask_duration_seconds_count{outcome="ok"}', 'plexi_replication_appends_total', 'plexi_chat_messages_total', 'plexi_kv_cache_saved_bytes_total{model="tiny"}',
      'plexi_kv_cache_moved_bytes_total{direction="sent"}', 'plexi_inference_forwarded_total{model="tiny",direction="served"}', 'plexi_inference_tokens_total{model="tiny"}',
      'plexi_kv_cache_requests_total{model="tiny",source="memory"}', 'plexi_migrations_total{trigger="drain",outcome="moved"}'
    ].map((series) => seriesValue(text, series))).to.deep.equal([1, 2, 1, 10, 20, 1, 2, 1, 1])
  })

  it('should export the failures of the services that share its ServiceFailures, given or its own', async () => {
    const given = new ServiceFailures()
    const { metrics } = watchedAll(given)
    expect(metrics.serviceFailures).to.equal(given)
    given.add('scrub')
    expect(seriesValue(await scrape(metrics.registry), 'plexi_service_failures_total{service="scrub"}')).to.equal(1)
    const own = watchedAll().metrics
    own.serviceFailures.add('stats')
    own.serviceFailures.add('stats')
    expect(seriesValue(await scrape(own.registry), 'plexi_service_failures_total{service="stats"}')).to.equal(2)
  })
})
