import { Histogram } from 'prom-client'
import type { Registry } from 'prom-client'
import type { ReplicationStats } from '../replication/index.ts'
import { scrapedCounter } from './scraped-metric.ts'

/**
 * What the replicated journal does for the owners on this node: the counters it keeps (in the
 * returned stats object, which node/replication is given and writes; read at scrape time) and
 * its quorum latency (observed through the same object).
 */
export function replicationMetrics (registry: Registry): ReplicationStats {
  const quorum = new Histogram({
    name: 'plexi_replication_quorum_seconds',
    help: 'Time from a journal append to its acknowledgement by the write quorum of replicas',
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry]
  })
  const repl: ReplicationStats = {
    opens: 0, recoveries: 0, appends: 0, appendedRecords: 0, staleEpochs: 0, failures: 0, handOvers: 0, handOversRefused: 0,
    observeQuorum: (ms) => { quorum.observe(ms / 1000) }
  }
  scrapedCounter(registry, 'plexi_journal_appends_total', 'Journal records appended by entities on this node (acknowledged by the write quorum or failed)', () => repl.appendedRecords)
  scrapedCounter(registry, 'plexi_replication_appends_total', 'Journal appends (batches of records) sent to replicas by owners on this node', () => repl.appends)
  scrapedCounter(registry, 'plexi_replication_opens_total', 'Entity journals taken by an activation on this node (each fences a new epoch)', () => repl.opens)
  scrapedCounter(registry, 'plexi_replication_recoveries_total', 'Activations that recovered a journal with records (its tail sealed in a new epoch)', () => repl.recoveries)
  scrapedCounter(registry, 'plexi_replication_stale_epoch_total', 'Owners on this node told by replicas that a newer activation took their entity', () => repl.staleEpochs)
  scrapedCounter(registry, 'plexi_replication_handovers_total', 'Entity journals taken on this node from a live move\'s hand-over: the previous owner\'s epoch goes on, no fence', () => repl.handOvers)
  scrapedCounter(registry, 'plexi_replication_handover_refusals_total', 'Live moves whose hand-over did not fit this node\'s view (another replica set, a ticket used before): the journal was fenced instead', () => repl.handOversRefused)
  scrapedCounter(registry, 'plexi_replication_failures_total', 'Entity journals that stopped because too few replicas answered in time', () => repl.failures)
  return repl
}
