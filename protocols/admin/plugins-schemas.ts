/** Plugins as `/api/v1/plugins` installs, lists and changes them (docs/api.md, "Plugins"). */

/** A plugin's name in a path (SOURCE_NAME_PATTERN). */
export const pluginNameParam = { type: 'string', pattern: '^[a-z][a-z0-9-]{0,23}$' } as const
/** A plugin version in a body: x.y.z with an optional pre-release. */
export const pluginVersionField = { type: 'string', maxLength: 64, pattern: '^(?:0|[1-9]\\d{0,8})\\.(?:0|[1-9]\\d{0,8})\\.(?:0|[1-9]\\d{0,8})(?:-[0-9A-Za-z-]{1,20}(?:\\.[0-9A-Za-z-]{1,20}){0,3})?$' } as const
/** What the install route takes: the package's bytes, as they are (a .tgz). */
export const PLUGIN_PACKAGE_TYPES = ['application/gzip', 'application/x-gzip', 'application/octet-stream'] as const

const nullableInteger = { type: ['integer', 'null'] } as const

export const pluginNodeSchema = {
  $id: 'PluginNode',
  type: 'object',
  required: ['node', 'member', 'version', 'state', 'restarts', 'error', 'reportedAt', 'calls', 'errors', 'latencyMs', 'memoryBytes', 'running'],
  properties: {
    node: { type: 'string', description: 'the member\'s peer id' },
    member: { type: 'string', description: 'its status as this node sees it (up, down, draining…); gone: no longer a member' },
    version: { type: ['string', 'null'], description: 'the version serving calls there (null: none)' },
    state: { type: 'string', enum: ['starting', 'running', 'restarting', 'failed', 'stopped', 'pending'], description: 'as the member last said (pending: it has said nothing of this plugin yet)' },
    restarts: { type: 'integer', description: 'restarts of its process there' },
    error: { type: ['string', 'null'], description: 'why it failed or restarts' },
    reportedAt: { ...nullableInteger, description: 'ms since the epoch of the member\'s last report' },
    calls: { ...nullableInteger, description: 'tool calls it answered there (null: the member did not answer now)' },
    errors: { ...nullableInteger, description: 'of them, those that failed' },
    latencyMs: { type: ['number', 'null'], description: 'mean latency of its recent calls there' },
    memoryBytes: { ...nullableInteger, description: 'its process\'s resident memory there' },
    running: { type: 'array', items: { type: 'string' }, description: 'every version of it running there now (two while it swaps)' }
  }
} as const

export const pluginSchema = {
  $id: 'Plugin',
  type: 'object',
  required: ['name', 'description', 'active', 'previous', 'enabled', 'changedAt', 'manifest', 'permissions', 'versions', 'nodes'],
  properties: {
    name: { type: 'string' },
    description: { type: 'string' },
    active: { type: 'string', description: 'the version every plugins-role member runs' },
    previous: { type: ['string', 'null'], description: 'the version a rollback goes back to' },
    enabled: { type: 'boolean' },
    changedAt: { type: 'integer', description: 'ms since the epoch of its last install, upgrade, rollback, enable or disable' },
    manifest: { type: 'object', additionalProperties: true, description: 'the active version\'s plexi-plugin.json' },
    permissions: { type: 'object', additionalProperties: true, description: 'what the active version\'s process is granted beyond its own package (docs/plugins.md)' },
    versions: {
      type: 'array',
      description: 'installed versions, newest first',
      items: {
        type: 'object',
        required: ['version', 'digest', 'size', 'installedBy', 'installedAt', 'plexi'],
        properties: {
          version: { type: 'string' },
          digest: { type: 'string', description: 'SHA-256 of its package (hex)' },
          size: { type: 'integer', description: 'its package\'s bytes' },
          installedBy: { type: 'string', description: 'the admin principal: admin, or token:NAME' },
          installedAt: { type: 'integer' },
          plexi: { type: 'string', description: 'the plugin API range it works with' }
        }
      }
    },
    nodes: { type: 'array', items: { $ref: 'PluginNode#' }, description: 'each member that runs it or said what it does of it' }
  }
} as const

export const pluginLogsSchema = {
  $id: 'PluginLogs',
  type: 'object',
  required: ['logs'],
  properties: {
    logs: {
      type: 'array',
      items: {
        type: 'object',
        required: ['node', 'lines'],
        properties: {
          node: { type: 'string' },
          lines: {
            type: 'array',
            description: 'the newest lines of each version of it running there, oldest version first',
            items: { type: 'object', required: ['version', 'line'], properties: { version: { type: 'string' }, line: { type: 'string' } } }
          }
        }
      }
    }
  }
} as const

/** What an install answers. */
export const pluginInstallSchema = {
  $id: 'PluginInstall',
  type: 'object',
  required: ['plugin', 'version', 'digest', 'installed'],
  properties: {
    plugin: { $ref: 'Plugin#' },
    version: { type: 'string', description: 'the version the package holds' },
    digest: { type: 'string', description: 'SHA-256 of the package (hex): where the registry keeps it' },
    installed: { type: 'boolean', description: 'false: that package was installed already, and nothing changed' }
  }
} as const
