/** MCP servers an admin registers for the cluster, as `/api/v1/mcp-servers` takes and shows them
 * (docs/api.md, "Admin HTTP"). A registration is checked field by field by
 * checkServerRegistration (protocols/plugins) after these schemas: they say its shape, that check
 * its rules (a transport's fields of the other kind, an env name, a URL with credentials). */
import {
  DEFAULT_TOOL_DEADLINE_MS, MAX_ENTRY_ARGS, MAX_PERMISSION_ENTRIES, MAX_PLUGIN_DESCRIPTION, MAX_PLUGIN_MEMORY_MIB, MIN_PLUGIN_MEMORY_MIB, SOURCE_NAME_PATTERN
} from '../plugins/index.ts'

/** A registered server's name in a path (it prefixes its tools, and shares the plugins' names). */
export const mcpServerNameParam = { type: 'string', pattern: SOURCE_NAME_PATTERN } as const

const text = (description: string) => ({ type: 'string', minLength: 1, maxLength: 4_096, description }) as const

/** What a registration is: POST /mcp-servers, and PUT /mcp-servers/{name} (where `name` may be
 * left out: the path's). */
export function mcpServerRegistrationSchema (nameRequired: boolean) {
  return {
    type: 'object',
    required: nameRequired ? ['name', 'transport'] : ['transport'],
    additionalProperties: false,
    properties: {
      name: { ...mcpServerNameParam, description: 'prefixes its tools: `<name>__<tool>`' },
      description: { type: 'string', maxLength: MAX_PLUGIN_DESCRIPTION },
      callDeadlineMs: { type: 'integer', minimum: 1, maximum: DEFAULT_TOOL_DEADLINE_MS, description: `its tool calls' deadline (default ${DEFAULT_TOOL_DEADLINE_MS})` },
      transport: {
        type: 'object',
        required: ['kind'],
        description: 'stdio: a command every plugins-role member runs (command, args, env, network, memoryMiB); http: a streamable HTTP URL every plugins-role member connects to (url, auth). Fields of the other kind are refused',
        properties: {
          kind: { type: 'string', enum: ['stdio', 'http'] },
          command: text('stdio: an absolute path, or a program found on the PATH'),
          args: { type: 'array', maxItems: MAX_ENTRY_ARGS, items: { type: 'string', maxLength: 4_096 }, description: 'stdio: its arguments (shown back: never a secret here)' },
          env: { type: 'object', maxProperties: MAX_PERMISSION_ENTRIES, additionalProperties: { type: 'string', maxLength: 4_096 }, description: 'stdio: variables set for it (their values are never shown back nor recorded)' },
          network: { type: 'boolean', description: 'stdio: it may use the network (default false)' },
          memoryMiB: { type: 'integer', minimum: MIN_PLUGIN_MEMORY_MIB, maximum: MAX_PLUGIN_MEMORY_MIB },
          url: text('http: an http: or https: URL, without credentials (shown back)'),
          auth: {
            type: 'object',
            required: ['kind'],
            description: 'http: a bearer token; OAuth client credentials; or OAuth\'s authorization code flow, followed headless (its secrets are never shown back nor recorded)',
            properties: {
              kind: { type: 'string', enum: ['token', 'client-credentials', 'oauth'] },
              token: text('token: the bearer token'),
              clientId: text('client-credentials, oauth: the client id (oauth: registered dynamically without one)'),
              clientSecret: text('client-credentials, oauth: the client secret'),
              scope: text('the scope to ask for'),
              issuer: text('client-credentials: the only authorization server the credentials are sent to')
            }
          }
        }
      }
    }
  } as const
}

export const mcpServerNodeSchema = {
  $id: 'McpServerNode',
  type: 'object',
  required: ['node', 'state', 'tools', 'restarts', 'error', 'upSince', 'retryAt'],
  properties: {
    node: { type: 'string', description: 'a plugins-role member\'s peer id' },
    state: {
      type: 'string',
      enum: ['up', 'starting', 'restarting', 'stopping', 'stopped', 'failed', 'pending', 'unreachable'],
      description: 'up: connected, its tools listed; failed: its connection failed and is tried again (error says why); pending: the member has not tried yet; unreachable: the member did not answer'
    },
    tools: { type: 'array', items: { type: 'string' }, description: 'its tools there, while up (qualified names)' },
    restarts: { type: 'integer', description: 'restarts of its process or connection there (failed: tries failed in a row)' },
    error: { type: ['string', 'null'], description: 'why it failed, or why it last ended' },
    upSince: { type: ['integer', 'null'], description: 'ms since the epoch it came up there' },
    retryAt: { type: ['integer', 'null'], description: 'ms since the epoch a failed connection is tried again' }
  }
} as const

export const mcpServerSchema = {
  $id: 'McpServer',
  type: 'object',
  required: ['name', 'description', 'kind', 'target', 'nodes'],
  properties: {
    name: { type: 'string' },
    description: { type: 'string' },
    kind: { type: 'string', enum: ['stdio', 'http'] },
    target: { type: 'string', description: 'the command and its arguments, or the URL' },
    envNames: { type: 'array', items: { type: 'string' }, description: 'stdio: the variables set for it (names only)' },
    network: { type: 'boolean' },
    memoryMiB: { type: 'integer' },
    auth: { type: 'string', enum: ['token', 'client-credentials', 'oauth'], description: 'http: how the node authenticates (its kind only)' },
    callDeadlineMs: { type: 'integer' },
    nodes: { type: 'array', items: { $ref: 'McpServerNode#' }, description: 'each plugins-role member that is not down, with its side of the server' }
  }
} as const
