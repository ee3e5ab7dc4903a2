/**
 * A plugin's manifest: `plexi-plugin.json` at the root of its package (docs/plugins.md). What the
 * node reads before it starts anything of the plugin; checked field by field (checkPluginManifest,
 * with an error naming the field), and the permissions it asks for are shown to the admin who
 * installs it and enforced on its process.
 */
export interface PluginManifest {
  /** SOURCE_NAME_PATTERN: it prefixes the plugin's tools. */
  readonly name: string
  /** Semver (x.y.z, with an optional pre-release). */
  readonly version: string
  readonly description: string
  /** The range of Plexi's plugin API it works with (a semver range: `^1.0.0`). */
  readonly plexi: string
  /** How to start it: a JavaScript file run by the node's own Node.js under its permission model,
   * or a command (any MCP server over stdio), relative to the package root. */
  readonly entry: { readonly node: string } | { readonly command: string, readonly args?: readonly string[] }
  readonly permissions: PluginPermissions
  /** A tool call's deadline (ms), at most DEFAULT_TOOL_DEADLINE_MS unless an admin raises it. */
  readonly callDeadlineMs?: number
  /** A before-post hook's budget and what a post gets when the hook does not answer in it. */
  readonly beforePost?: { readonly budgetMs?: number, readonly onFailure?: 'allow' | 'refuse' }
}

/** What the plugin's process may do beyond reading its own package; everything else is denied
 * where the platform lets it be (docs/plugins.md says what is enforced on Linux). */
export interface PluginPermissions {
  /** Paths it may read, relative to its own data folder (its package is always readable). */
  readonly read?: readonly string[]
  /** Paths it may write, relative to its own data folder (`.` for the folder itself). */
  readonly write?: readonly string[]
  /** It may open network connections. */
  readonly network?: boolean
  /** It may start child processes. */
  readonly childProcess?: boolean
  /** It may load native addons. */
  readonly addons?: boolean
  /** Environment variables it gets from the node's (none otherwise). */
  readonly env?: readonly string[]
  /** Its memory cap (MiB), at most MAX_PLUGIN_MEMORY_MIB (@default DEFAULT_PLUGIN_MEMORY_MIB). */
  readonly memoryMiB?: number
}
