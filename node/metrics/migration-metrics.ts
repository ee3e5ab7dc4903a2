import { Counter, Histogram } from 'prom-client'
import type { Registry } from 'prom-client'
import { scrapedGauge } from './scraped-metric.ts'

/** What migrationMetrics reads of live migration (node/migration Migrator, and the kernel's
 * buffers of messages waiting for a move), at scrape time. */
export interface MigrationStatsView {
  buffered (): { readonly entities: number, readonly messages: number }
  pending (): number
  concurrency (): number
}

/** Counts one move as it ends (for MigratorOptions.onMove). */
export type MoveObserver = (result: { readonly outcome: string, readonly pauseMs: number }, trigger: string) => void

/** Live migration: moves by trigger and outcome, the pause of each (messages waited), messages
 * waiting for a move now. Returns the observer of moves. */
export function migrationMetrics (registry: Registry, migration: MigrationStatsView): MoveObserver {
  const registers = [registry]
  const moves = new Counter({ name: 'plexi_migrations_total', help: 'Entities this node moved to another node (live migration), by trigger (drain, rebalance, admin, claim) and outcome (moved: live; cold: recovered from its journal by the new owner; failed: not taken; not-active)', labelNames: ['trigger', 'outcome'], registers })
  const pause = new Histogram({
    name: 'plexi_migration_pause_seconds',
    help: 'Time an entity took no messages while it moved (they waited, then reached the new owner), per move that ended moved',
    // fine between 1 and 100 ms, where live moves land and where the goal is (p99 <= 50 ms):
    // a quantile read from these buckets is off by at most the width of its bucket
    buckets: [0.001, 0.002, 0.003, 0.004, 0.005, 0.0075, 0.01, 0.0125, 0.015, 0.02, 0.025, 0.03, 0.04, 0.05, 0.075, 0.1, 0.15, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers
  })
  scrapedGauge(registry, 'plexi_migration_buffered_messages', 'Messages waiting on this node for an entity that is moving (to or from here)', () => migration.buffered().messages)
  scrapedGauge(registry, 'plexi_migration_buffered_entities', 'Entities whose messages wait on this node for a move', () => migration.buffered().entities)
  scrapedGauge(registry, 'plexi_migrations_pending', 'Moves queued or under way on this node (a drain or rebalance)', () => migration.pending())
  scrapedGauge(registry, 'plexi_migration_concurrency', 'Queued moves this node runs at once now: as many as keep pauses near 20 ms, at most migration-concurrency', () => migration.concurrency())
  return (result, trigger) => {
    moves.inc({ trigger, outcome: result.outcome })
    if (result.outcome === 'moved') pause.observe(result.pauseMs / 1000)
  }
}
