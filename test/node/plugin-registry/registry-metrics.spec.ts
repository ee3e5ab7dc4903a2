import { expect } from 'chai'
import { Registry } from 'prom-client'
import { registryMetrics } from '../../../node/plugin-registry/index.ts'
import type { ReconcilerStats } from '../../../node/plugin-registry/index.ts'
import { families, scrape, seriesValue } from '../../helpers/metric-text.ts'

describe('registryMetrics', () => {
  it('should export what the admin side and the reconciler did, as counters read at scrape time', async () => {
    const registry = new Registry()
    const admin = { stats: { installs: 2, changes: 3 } }
    const packages = { fetchedBytes: 1_000 }
    const stats: ReconcilerStats = { passes: 5, starts: 2, failedStarts: 1, stops: 1, swaps: 1 }
    registryMetrics(registry, { registry: admin, packages, reconciler: { stats } })
    stats.swaps = 2
    const text = await scrape(registry)
    expect([...families(text).keys()].filter((n) => n.startsWith('plexi_plugin_registry_')).sort()).to.deep.equal([
      'plexi_plugin_registry_changes_total', 'plexi_plugin_registry_fetched_bytes_total', 'plexi_plugin_registry_installs_total', 'plexi_plugin_registry_passes_total',
      'plexi_plugin_registry_start_failures_total', 'plexi_plugin_registry_starts_total', 'plexi_plugin_registry_stops_total', 'plexi_plugin_registry_swaps_total'
    ])
    expect(seriesValue(text, 'plexi_plugin_registry_swaps_total')).to.equal(2)
    expect(seriesValue(text, 'plexi_plugin_registry_fetched_bytes_total')).to.equal(1_000)
    expect(seriesValue(text, 'plexi_plugin_registry_installs_total')).to.equal(2)
  })

  it('should export 0 for the reconciler on a node that runs no plugins', async () => {
    const registry = new Registry()
    registryMetrics(registry, { registry: { stats: { installs: 0, changes: 0 } }, packages: { fetchedBytes: 0 } })
    expect(seriesValue(await scrape(registry), 'plexi_plugin_registry_passes_total')).to.equal(0)
  })
})
