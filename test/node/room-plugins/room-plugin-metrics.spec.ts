import { expect } from 'chai'
import { Registry } from 'prom-client'
import { roomPluginMetrics } from '../../../node/room-plugins/index.ts'

describe('roomPluginMetrics', () => {
  it('should count commands, verdicts, the policy applied without one, and after-post posts by plugin and outcome', async () => {
    const registry = new Registry()
    const metrics = roomPluginMetrics(registry)
    metrics.record({ hook: 'command', plugin: 'dice', outcome: 'answered' })
    metrics.record({ hook: 'command', plugin: 'dice', outcome: 'timeout' })
    metrics.record({ hook: 'before-post', plugin: 'mod', outcome: 'refused' })
    metrics.record({ hook: 'before-post', plugin: 'mod', outcome: 'failed', policy: 'refuse' })
    metrics.record({ hook: 'before-post', plugin: 'mod', outcome: 'failed', policy: 'allow' })
    metrics.record({ hook: 'after-post', plugin: 'audit', outcome: 'skipped', posts: 7 })
    metrics.record({ hook: 'after-post', plugin: 'audit', outcome: 'delivered', posts: 1 })
    const text = await registry.metrics()
    for (const line of [
      'plexi_plugin_commands_total{plugin="dice",outcome="answered"} 1',
      'plexi_plugin_commands_total{plugin="dice",outcome="timeout"} 1',
      'plexi_plugin_before_post_total{plugin="mod",outcome="refused"} 1',
      'plexi_plugin_before_post_total{plugin="mod",outcome="failed"} 2',
      'plexi_plugin_before_post_failures_total{plugin="mod",policy="refuse"} 1',
      'plexi_plugin_before_post_failures_total{plugin="mod",policy="allow"} 1',
      'plexi_plugin_after_post_total{plugin="audit",outcome="skipped"} 7',
      'plexi_plugin_after_post_total{plugin="audit",outcome="delivered"} 1'
    ]) expect(text).to.include(line)
  })
})
