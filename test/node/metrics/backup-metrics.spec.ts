import { expect } from 'chai'
import { Registry } from 'prom-client'
import { backupMetrics } from '../../../node/metrics/index.ts'
import { scrape, seriesValue } from '../../helpers/metric-text.ts'

const stats = () => ({ lastDoneAt: 0, lastBytes: 0, lastNewBytes: 0, bytesRead: 0, bytesSent: 0, repairs: 0, unmended: 0, restored: 0, audits: 0 })

describe('backupMetrics', () => {
  it('should export what the backup jobs did and what this holder keeps, with the last backup\'s dedup ratio, when a backup-role member', async () => {
    const registry = new Registry()
    const service = { stats: { ...stats(), lastDoneAt: 5_000, lastBytes: 400, lastNewBytes: 100, bytesRead: 400, bytesSent: 100, repairs: 2, unmended: 1, restored: 3, audits: 4 } }
    backupMetrics(registry, { service, store: { size: 7, bytes: 700 }, holderRepair: { stats: { copied: 5 } } })
    const text = await scrape(registry)
    expect([
      'plexi_backup_rereplicated_total', 'plexi_backup_chunks_stored', 'plexi_backup_stored_bytes', 'plexi_backup_last_success_seconds', 'plexi_backup_dedup_ratio',
      'plexi_backup_read_bytes_total', 'plexi_backup_sent_bytes_total', 'plexi_backup_repairs_total', 'plexi_backup_audit_failures_total',
      'plexi_backup_audits_total', 'plexi_backup_restored_entities_total'
    ].map((name) => seriesValue(text, name))).to.deep.equal([5, 7, 700, 5, 0.75, 400, 100, 2, 1, 4, 3])
  })

  it('should export zeros for the holder\'s series and a dedup ratio of 0, when the node holds no chunks and made no backup', async () => {
    const registry = new Registry()
    backupMetrics(registry, { service: { stats: stats() } })
    const text = await scrape(registry)
    expect(['plexi_backup_rereplicated_total', 'plexi_backup_chunks_stored', 'plexi_backup_stored_bytes', 'plexi_backup_dedup_ratio', 'plexi_backup_last_success_seconds']
      .map((name) => seriesValue(text, name))).to.deep.equal([0, 0, 0, 0, 0])
  })
})
