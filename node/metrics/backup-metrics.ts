import type { Registry } from 'prom-client'
import { scrapedCounter, scrapedGauge } from './scraped-metric.ts'

/** What backupMetrics reads of the backup service's stats (node/backup BackupService). */
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

/** What backupMetrics reads: the backup service, and on a backup-role member the chunks it holds
 * for the cluster and their re-replication (absent elsewhere: exported as 0). */
export interface BackupSources {
  readonly service: { readonly stats: BackupStatsView }
  readonly store?: { readonly size: number, readonly bytes: number } | undefined
  readonly holderRepair?: { readonly stats: { readonly copied: number } } | undefined
}

/** Backups: what this node holds for the cluster (a backup-role member), and what its jobs did,
 * read at scrape time. */
export function backupMetrics (registry: Registry, sources: BackupSources): void {
  const { service, store, holderRepair } = sources
  const stats = (): BackupStatsView => service.stats
  scrapedCounter(registry, 'plexi_backup_rereplicated_total', 'Chunk copies this backup holder put on the holders that should keep them and lacked them (a holder gone, a copy lost), with no key', () => holderRepair?.stats.copied ?? 0)
  scrapedGauge(registry, 'plexi_backup_chunks_stored', 'Sealed backup chunks this node holds for the cluster (0 without the backup role)', () => store?.size ?? 0)
  scrapedGauge(registry, 'plexi_backup_stored_bytes', 'Bytes of sealed backup chunks this node holds for the cluster', () => store?.bytes ?? 0)
  scrapedGauge(registry, 'plexi_backup_last_success_seconds', 'Unix time when the last backup this node made ended done (0: none since it started)', () => stats().lastDoneAt / 1000)
  scrapedGauge(registry, 'plexi_backup_dedup_ratio', 'Share of the last backup\'s bytes that earlier backups had stored already (0 to 1; what deduplication saved)',
    () => stats().lastBytes === 0 ? 0 : 1 - stats().lastNewBytes / stats().lastBytes)
  scrapedCounter(registry, 'plexi_backup_read_bytes_total', 'Plaintext bytes this node\'s backups read from the partitions', () => stats().bytesRead)
  scrapedCounter(registry, 'plexi_backup_sent_bytes_total', 'Plaintext bytes of new chunks this node\'s backups sent to holders', () => stats().bytesSent)
  scrapedCounter(registry, 'plexi_backup_repairs_total', 'Backup chunk copies found missing or damaged and put back from a whole one (verify)', () => stats().repairs)
  scrapedCounter(registry, 'plexi_backup_audit_failures_total', 'Backup chunks found not whole on every holder and not mended (verify)', () => stats().unmended)
  scrapedCounter(registry, 'plexi_backup_audits_total', 'Backup audits made by this node (random chunks of the newest backup challenged on their holders)', () => stats().audits)
  scrapedCounter(registry, 'plexi_backup_restored_entities_total', 'Entities whose journal a restore made what a backup held', () => stats().restored)
}
