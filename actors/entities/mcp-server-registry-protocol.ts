import { SOURCE_NAME_PATTERN, checkServerRegistration } from '../../protocols/index.ts'
import type { McpServerRegistration } from '../../protocols/index.ts'
import { entityTypeKey } from '../kernel/index.ts'
import type { ReplyTo } from '../kernel/index.ts'
import { MessageCheck } from './message-check.ts'

/** One registered server and when it was registered (ms since the epoch). */
export interface McpServerEntry {
  readonly registration: McpServerRegistration
  readonly ts: number
}

export type McpServerRegistryMsg =
  /** Registers a server (refused when one has its name, unless `replace`); answered with it. */
  | { readonly type: 'register', readonly registration: McpServerRegistration, readonly replace: boolean, readonly ts: number, readonly replyTo: ReplyTo<McpServerEntry> }
  /** Removes one; answered whether there was one. */
  | { readonly type: 'remove', readonly name: string, readonly replyTo: ReplyTo<boolean> }
  /** Every registration, secrets included (for the members that connect; the admin API shows views). */
  | { readonly type: 'list', readonly replyTo: ReplyTo<McpServerEntry[]> }

export type McpServerRegistryEvent =
  | { readonly type: 'server-registered', readonly registration: McpServerRegistration, readonly ts: number }
  | { readonly type: 'server-removed', readonly name: string }

export interface McpServerRegistryState {
  /** By name (SOURCE_NAME_PATTERN, so none is special to JavaScript). */
  readonly servers: Readonly<Record<string, McpServerEntry>>
}

/** The cluster's registered MCP servers: `mcp-servers/cluster`, on a plugins-role member. */
export const MCP_SERVERS = entityTypeKey<McpServerRegistryMsg>('mcp-servers')
export const MCP_SERVER_REGISTRY_KEY = 'cluster'
/** Servers the cluster keeps registered, at most: each runs (or is connected to) on every
 * plugins-role member, and their tools share a model's prompt. */
export const MAX_MCP_SERVERS = 64

const NAME = new RegExp(SOURCE_NAME_PATTERN)

const FIELD_CHECKS: { readonly [T in McpServerRegistryMsg['type']]: (m: MessageCheck) => void } = {
  register (m) {
    // the registration's own check names its field (InvalidServerRegistrationError)
    checkServerRegistration(m.raw('registration'))
    if (typeof m.raw('replace') !== 'boolean') m.refuse('replace', 'true or false')
    m.number('ts')
    m.replyTo()
  },
  remove (m) {
    m.matching('name', NAME, `a server name (${SOURCE_NAME_PATTERN})`)
    m.replyTo()
  },
  list (m) { m.replyTo() }
}

const TYPES = Object.keys(FIELD_CHECKS)

/** The registry's EntityType.check: every registration checked field by field. */
export function checkMcpServerRegistryMsg (msg: unknown): void {
  const m = new MessageCheck(msg, 'MCP server registry message')
  if (!Object.hasOwn(FIELD_CHECKS, m.type)) m.unknownType(TYPES)
  FIELD_CHECKS[m.type as McpServerRegistryMsg['type']](m)
}
