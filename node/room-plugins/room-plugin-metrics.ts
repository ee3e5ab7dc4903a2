import { Counter } from 'prom-client'
import type { Registry } from 'prom-client'
import type { RoomPluginOutcome } from '../../actors/index.ts'

/** Rooms' requests to plugins, counted where they are made (the node running the room or the
 * post-hooks entity): commands, before-post verdicts and the policy applied when there was none,
 * after-post posts delivered, failed (and retried) and skipped past the backlog's bound. */
export interface RoomPluginMetrics {
  record (outcome: RoomPluginOutcome): void
}

export function roomPluginMetrics (registry: Registry): RoomPluginMetrics {
  const registers = [registry]
  const commands = new Counter({
    name: 'plexi_plugin_commands_total',
    help: 'Room /commands sent to plugins, by plugin and outcome (answered, failed: the plugin failed or is down, timeout: no answer in its deadline)',
    labelNames: ['plugin', 'outcome'],
    registers
  })
  const beforePost = new Counter({
    name: 'plexi_plugin_before_post_total',
    help: 'Before-post verdicts asked of plugins, by plugin and outcome (allowed, refused, failed: no verdict in the budget)',
    labelNames: ['plugin', 'outcome'],
    registers
  })
  const beforePostFailures = new Counter({
    name: 'plexi_plugin_before_post_failures_total',
    help: 'Before-post hooks that gave no verdict in their budget (timeout, crash, bad answer), by plugin and the policy applied (allow, refuse)',
    labelNames: ['plugin', 'policy'],
    registers
  })
  const afterPost = new Counter({
    name: 'plexi_plugin_after_post_total',
    help: 'Posts sent to after-post hooks, by plugin and outcome (delivered, failed: sent again later, skipped: past the backlog bound, never sent)',
    labelNames: ['plugin', 'outcome'],
    registers
  })
  return {
    record (outcome) {
      switch (outcome.hook) {
        case 'command':
          commands.inc({ plugin: outcome.plugin, outcome: outcome.outcome })
          return
        case 'before-post':
          beforePost.inc({ plugin: outcome.plugin, outcome: outcome.outcome })
          if (outcome.outcome === 'failed') beforePostFailures.inc({ plugin: outcome.plugin, policy: outcome.policy ?? 'allow' })
          return
        case 'after-post':
          afterPost.inc({ plugin: outcome.plugin, outcome: outcome.outcome }, outcome.posts)
      }
    }
  }
}
