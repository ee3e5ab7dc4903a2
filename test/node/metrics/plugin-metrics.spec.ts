import { expect } from 'chai'
import { Registry } from 'prom-client'
import { pluginMetrics } from '../../../node/metrics/index.ts'
import type { PluginSourceView } from '../../../node/metrics/index.ts'
import { families, scrape, seriesValue } from '../../helpers/metric-text.ts'

const source = (over: Partial<PluginSourceView>): PluginSourceView => ({ name: 'clock', state: 'up', active: true, restarts: 0, crashes: 0, hangs: 0, memoryKills: 0, rssBytes: 0, ...over })

describe('pluginMetrics', () => {
  it('should export calls by outcome, restarts, kills by reason, up and memory per plugin, versions summed', async () => {
    const registry = new Registry()
    const calls = new Map([['clock\0ok', 5], ['clock\0timeout', 1], ['memory\0ok', 2]])
    const running = [source({ restarts: 2, crashes: 1, hangs: 1, rssBytes: 100, active: false }), source({ restarts: 1, memoryKills: 1, rssBytes: 50 })]
    const servers = [source({ name: 'memory', state: 'restarting', rssBytes: 7 })]
    const metrics = pluginMetrics(registry, () => ({ calls, running: () => running, servers: () => servers }))
    metrics.observeCall('clock', 'ok', 0.002)
    const text = await scrape(registry)
    expect([
      'plexi_plugin_calls_total{plugin="clock",outcome="ok"}', 'plexi_plugin_calls_total{plugin="clock",outcome="timeout"}', 'plexi_plugin_calls_total{plugin="memory",outcome="ok"}',
      'plexi_plugin_restarts_total{plugin="clock"}', 'plexi_plugin_kills_total{plugin="clock",reason="crash"}', 'plexi_plugin_kills_total{plugin="clock",reason="hang"}',
      'plexi_plugin_kills_total{plugin="clock",reason="memory"}', 'plexi_plugin_up{plugin="clock"}', 'plexi_plugin_up{plugin="memory"}',
      'plexi_plugin_memory_bytes{plugin="clock"}', 'plexi_plugin_memory_bytes{plugin="memory"}', 'plexi_plugin_call_seconds_count{plugin="clock"}'
    ].map((s) => seriesValue(text, s))).to.deep.equal([5, 1, 2, 3, 1, 1, 1, 1, 0, 150, 7, 1])
    expect(families(text).get('plexi_plugin_call_seconds')?.type).to.equal('histogram')
  })

  it('should export nothing but the families on a node without a host', async () => {
    const registry = new Registry()
    pluginMetrics(registry, () => undefined)
    const text = await scrape(registry)
    expect([...families(text).keys()].sort()).to.deep.equal(['plexi_plugin_call_seconds', 'plexi_plugin_calls_total', 'plexi_plugin_kills_total', 'plexi_plugin_memory_bytes', 'plexi_plugin_restarts_total', 'plexi_plugin_up'])
    expect(seriesValue(text, 'plexi_plugin_up{plugin="clock"}')).to.equal(undefined)
  })
})
