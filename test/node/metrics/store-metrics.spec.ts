import { expect } from 'chai'
import { Registry } from 'prom-client'
import { storeMetrics } from '../../../node/metrics/index.ts'
import { LevelStore } from '../../../node/storage/index.ts'
import { scrape, seriesValue } from '../../helpers/metric-text.ts'
import { tempDir } from '../../helpers/temp-dir.ts'

describe('storeMetrics', () => {
  it('should export the batches and bytes a real store wrote, when it wrote some', async () => {
    const dir = await tempDir()
    const store = await LevelStore.open(dir.path)
    try {
      const registry = new Registry()
      storeMetrics(registry, store)
      const before = await scrape(registry)
      expect(seriesValue(before, 'plexi_journal_batches_total')).to.equal(store.stats.writer.batches)
      await store.write([{ type: 'put', key: 'k', value: Buffer.from('value') }])
      const after = await scrape(registry)
      expect(seriesValue(after, 'plexi_journal_batches_total')).to.equal(store.stats.writer.batches).and.to.be.greaterThan(0)
      expect(seriesValue(after, 'plexi_journal_written_bytes_total')).to.equal(store.stats.writer.bytes).and.to.be.greaterThan(0)
    } finally {
      await store.close()
      await dir.remove()
    }
  })
})
