import { fileURLToPath } from 'node:url'
import type { PluginManifest, PluginPermissions } from '../../protocols/index.ts'
import { PluginHost } from '../../node/plugins/index.ts'
import type { PluginHostOptions } from '../../node/plugins/index.ts'
import { ServiceFailures } from '../../node/services/index.ts'
import { keptLog } from './node-parts-fixture.ts'
import { tempDir } from './temp-dir.ts'

/** The probe plugin's package (test/node/plugins/fixtures/probe): tools that try what a plugin
 * may and may not do, crash, hang or eat memory on request. */
export const PROBE_DIR = fileURLToPath(new URL('../node/plugins/fixtures/probe', import.meta.url))

/** A manifest for the probe package running `entry` (one of its .mjs files) with `permissions`. */
export function probeManifest (permissions: PluginPermissions = {}, over: Partial<PluginManifest> = {}, entry = 'probe.mjs'): PluginManifest {
  return { name: 'probe', version: '1.0.0', description: 'tries what a plugin may and may not do', plexi: '^1.0.0', entry: { node: entry }, permissions, ...over }
}

/** Supervision timings short enough for a spec: a restart after 20 ms, a ping every 200 ms. */
export const FAST_TIMINGS = { startTimeoutMs: 5_000, pingIntervalMs: 200, pingTimeoutMs: 500, restartFirstMs: 20, restartMaxMs: 200, stableMs: 60_000, drainMs: 2_000, stopGraceMs: 1_000, memorySampleMs: 50 }

export interface TestHost {
  readonly host: PluginHost
  readonly dataDir: string
  readonly lines: Array<{ level: number, msg: string }>
  readonly failures: ServiceFailures
  close (): Promise<void>
}

/** A plugin host on a temp data dir, with a kept log and fast timings. */
export async function testHost (opts: Partial<PluginHostOptions> = {}): Promise<TestHost> {
  const dir = await tempDir('plexi-plugins-')
  const { log, lines } = keptLog()
  const failures = new ServiceFailures()
  const host = await PluginHost.open({ dataDir: dir.path, log, failures, timings: FAST_TIMINGS, ...opts })
  return {
    host,
    dataDir: dir.path,
    lines,
    failures,
    close: async () => {
      await host.close()
      await dir.remove()
    }
  }
}

/** The text a tool call answered (throws when the tool said it failed, with that text). */
export async function callText (host: PluginHost, name: string, args: Record<string, unknown> = {}): Promise<{ text: string, isError: boolean }> {
  const result = await host.call({ id: 'c1', name, arguments: args })
  return { text: result.text, isError: result.isError }
}
