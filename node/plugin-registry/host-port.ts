import type { PluginManifest } from '../../protocols/plugins/index.ts'

/**
 * What the registry asks of the plugin host (node/plugins, PluginHost): the few calls the
 * reconciler makes, declared here so that this folder does not depend on the host's own types.
 * The composition root binds the host to it (docs/plugins.md, "Installed once").
 */

/** One version of a plugin to run: its unpacked package and its manifest. */
export interface HostedPlugin {
  readonly name: string
  readonly version: string
  /** The unpacked package (`<data-dir>/plugins/<name>/<version>`): the manifest's entry is
   * relative to it. */
  readonly dir: string
  readonly manifest: PluginManifest
}

/** What a version running on this node is doing. */
export type HostedState = 'starting' | 'running' | 'restarting' | 'failed' | 'stopping'

export interface HostedStatus {
  readonly name: string
  readonly version: string
  readonly state: HostedState
  /** Restarts of its process since it was started. */
  readonly restarts: number
  /** Tool calls answered, and those that failed (the plugin said so, timed out, or was down). */
  readonly calls: number
  readonly errors: number
  /** Mean latency of its recent calls (ms); null before any. */
  readonly latencyMs: number | null
  /** Its process's resident memory (bytes); null when not known. */
  readonly memoryBytes: number | null
  /** Why it is failed or restarting; null otherwise. */
  readonly lastError: string | null
}

export interface PluginHostPort {
  /**
   * Starts this version, beside any other version of the plugin that runs; resolves once it is up
   * (it answered MCP's initialize and listed its tools), and from then on the plugin's calls go
   * to it. Rejects when it cannot start, leaving nothing of it running (and any other version
   * still serving).
   */
  start (plugin: HostedPlugin): Promise<void>
  /** Stops one version: no new call goes to it, the calls it has finish (within the host's drain
   * time), then its process ends. Resolves once it has. */
  stop (name: string, version: string): Promise<void>
  /** Every version running on this node, or trying to. */
  running (): readonly HostedStatus[]
  /** Hears every line a plugin's process writes on its stderr. */
  onStderr (listener: (name: string, version: string, line: string) => void): void
}
