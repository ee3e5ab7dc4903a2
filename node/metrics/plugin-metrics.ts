import { Histogram } from 'prom-client'
import type { Registry } from 'prom-client'
import { scrapedLabelledCounter, scrapedLabelledGauge } from './scraped-metric.ts'
import type { Labels } from './scraped-metric.ts'

/** One running plugin version or registered server, as pluginMetrics reads it (node/plugins
 * RunningSource has these). */
export interface PluginSourceView {
  readonly name: string
  readonly state: string
  /** Whether calls for its name go to it. */
  readonly active: boolean
  readonly restarts: number
  readonly crashes: number
  readonly hangs: number
  readonly memoryKills: number
  readonly rssBytes: number
}

/** What pluginMetrics reads of the plugin host (node/plugins PluginHost). */
export interface PluginStatsView {
  /** Calls and Plexi requests by source and outcome: `<source>\0<outcome>` → count. */
  readonly calls: ReadonlyMap<string, number>
  running (): readonly PluginSourceView[]
  servers (): readonly PluginSourceView[]
}

export interface PluginMetrics {
  readonly callSeconds: Histogram<'plugin'>
  /** For PluginHostOptions.onCall. */
  readonly observeCall: (plugin: string, outcome: string, seconds: number) => void
}

/**
 * Plugins and registered MCP servers on this node (a source's versions summed under its name):
 * calls by outcome (ok, error, timeout, unavailable, refused), their latency, restarts, kills by
 * reason, whether each is up, and its memory; read at scrape time from the host, the latency
 * observed as each call ends.
 */
export function pluginMetrics (registry: Registry, host: () => PluginStatsView | undefined): PluginMetrics {
  const sources = (): PluginSourceView[] => { const h = host(); return h === undefined ? [] : [...h.running(), ...h.servers()] }
  const summed = (read: (s: PluginSourceView) => number) => (): Array<readonly [Labels, number]> => {
    const by = new Map<string, number>()
    for (const s of sources()) by.set(s.name, (by.get(s.name) ?? 0) + read(s))
    return [...by].map(([plugin, n]) => [{ plugin }, n] as const)
  }
  scrapedLabelledCounter(registry, 'plexi_plugin_calls_total', 'Tool calls and Plexi requests to plugins and registered MCP servers on this node, by source and outcome (ok, error: the tool or plugin said it failed, timeout, unavailable: down or restarting, refused: too busy or gone)', ['plugin', 'outcome'],
    () => [...(host()?.calls ?? new Map<string, number>())].map(([key, n]) => {
      const [plugin, outcome] = key.split('\0') as [string, string]
      return [{ plugin, outcome }, n] as const
    }))
  scrapedLabelledCounter(registry, 'plexi_plugin_restarts_total', 'Times a plugin or registered server was started again after it crashed, hung, went over its memory cap or broke the protocol', ['plugin'], summed((s) => s.restarts))
  scrapedLabelledCounter(registry, 'plexi_plugin_kills_total', 'Plugin processes ended by the host or by themselves, by reason (crash: it exited; hang: no ping answered; memory: over its cap)', ['plugin', 'reason'],
    () => {
      const by = new Map<string, number>()
      for (const s of sources()) for (const [reason, n] of [['crash', s.crashes], ['hang', s.hangs], ['memory', s.memoryKills]] as const) by.set(`${s.name}\0${reason}`, (by.get(`${s.name}\0${reason}`) ?? 0) + n)
      return [...by].map(([key, n]) => { const [plugin, reason] = key.split('\0') as [string, string]; return [{ plugin, reason }, n] as const })
    })
  scrapedLabelledGauge(registry, 'plexi_plugin_up', 'Whether the version of a plugin (or a registered server) that takes its calls is up: 1, else 0 (starting, restarting, stopping)', ['plugin'],
    () => sources().filter((s) => s.active).map((s) => [{ plugin: s.name }, s.state === 'up' ? 1 : 0] as const))
  scrapedLabelledGauge(registry, 'plexi_plugin_memory_bytes', 'Resident memory of each plugin\'s processes (its versions summed), as its watchdog last read it', ['plugin'], summed((s) => s.rssBytes))
  const callSeconds = new Histogram({
    name: 'plexi_plugin_call_seconds',
    help: 'Time from a call or Plexi request reaching the host to its answer (or its failure), by plugin',
    labelNames: ['plugin'],
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry]
  })
  return { callSeconds, observeCall: (plugin, _outcome, seconds) => { callSeconds.observe({ plugin }, seconds) } }
}
