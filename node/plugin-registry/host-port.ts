import type { PluginManifest } from '../../protocols/plugins/index.ts'

/**
 * What the registry asks of the plugin host (node/plugins, PluginHost): the few calls the
 * reconciler and `/plugin-registry` make, declared here in the host's own terms so that the host
 * meets it as it is (structurally) and this folder does not depend on the host's types.
 */

/** One version of a plugin to run: its unpacked package and its manifest (PluginHost's PluginToStart). */
export interface HostedPlugin {
  readonly name: string
  readonly version: string
  /** The unpacked package (`<data-dir>/plugins/<name>/<version>`): the manifest's entry is
   * relative to it. */
  readonly dir: string
  readonly manifest: PluginManifest
}

/** What a version running on this node is doing (the host's SourceState). */
export type HostedState = 'starting' | 'up' | 'restarting' | 'stopping' | 'stopped'

/** A version running here, as the host reports it (the fields the registry reads of RunningSource). */
export interface HostedRun {
  readonly name: string
  readonly version: string
  readonly state: HostedState
  /** Restarts of its process since it was started. */
  readonly restarts: number
  /** Its process tree's resident memory (0: not known, or not running). */
  readonly rssBytes: number
  /** How its last process ended, when one did. */
  readonly lastExit?: { readonly reason: string, readonly detail: string, readonly at: number } | undefined
}

export interface PluginHostPort {
  /**
   * Starts this version, beside any other version of the plugin that runs; resolves once it is up
   * (it answered MCP's initialize and listed its tools), and from then on the plugin's calls go to
   * it (the newest version up). Rejects when it cannot start, leaving nothing of it running (and
   * any other version still serving).
   */
  start (plugin: HostedPlugin): Promise<unknown>
  /** Stops one version: no new call goes to it, the calls it has finish (within the host's drain
   * time), then its process ends. Resolves once it has. */
  stop (name: string, version?: string): Promise<void>
  /** Every plugin version running on this node, or trying to. */
  running (): readonly HostedRun[]
  /** The newest lines a version's process wrote on its stderr (the host keeps them, bounded);
   * throws when that version does not run here. */
  logs (name: string, version?: string): readonly string[]
}
