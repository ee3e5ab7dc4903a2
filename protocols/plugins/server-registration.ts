import { DEFAULT_PLUGIN_MEMORY_MIB, DEFAULT_TOOL_DEADLINE_MS, MAX_ENTRY_ARGS, MAX_PERMISSION_ENTRIES, MAX_PLUGIN_DESCRIPTION, MAX_PLUGIN_MEMORY_MIB, MIN_PLUGIN_MEMORY_MIB, SOURCE_NAME_PATTERN } from './constants.ts'
import { InvalidServerRegistrationError } from './errors.ts'

/**
 * An MCP server an admin registered as a tool source for the whole cluster (docs/plugins.md,
 * "Registered servers"): a command every plugins-role member runs over stdio (isolated as a
 * plugin's command entry is), or a streamable HTTP URL every plugins-role member connects to.
 * Its secrets (variables given to the command, a token, a client secret) are kept in the
 * registry entity and sent to the members that connect; the admin API shows them never
 * (`serverView`).
 */
export interface McpServerRegistration {
  /** SOURCE_NAME_PATTERN: it prefixes the server's tools, and shares the plugins' names. */
  readonly name: string
  readonly description: string
  readonly transport: StdioServerSpec | HttpServerSpec
  /** Its calls' deadline (ms), at most DEFAULT_TOOL_DEADLINE_MS. */
  readonly callDeadlineMs?: number
}

export interface StdioServerSpec {
  readonly kind: 'stdio'
  /** An absolute path, or a program's name found on the PATH (e.g. `npx`). */
  readonly command: string
  readonly args?: readonly string[]
  /** Variables set for it, over HOME, LOGNAME, PATH, SHELL, TERM and USER of the node's. */
  readonly env?: Readonly<Record<string, string>>
  /** It may use the network (@default false: a network namespace of its own where possible). */
  readonly network?: boolean
  /** @default DEFAULT_PLUGIN_MEMORY_MIB */
  readonly memoryMiB?: number
}

export interface HttpServerSpec {
  readonly kind: 'http'
  /** http: or https: */
  readonly url: string
  readonly auth?: ServerAuth
}

/** How the node authenticates to an HTTP server: a bearer token it was given; OAuth client
 * credentials; or OAuth's authorization code flow with PKCE, which the node follows headless
 * (it works with servers that grant without a person signing in; the SDK's client auth). */
export type ServerAuth =
  | { readonly kind: 'token', readonly token: string }
  /** `issuer`: the authorization server's issuer URL, the only one the credentials are sent to
   * (without it the server names where they go). */
  | { readonly kind: 'client-credentials', readonly clientId: string, readonly clientSecret: string, readonly scope?: string, readonly issuer?: string }
  | { readonly kind: 'oauth', readonly clientId?: string, readonly clientSecret?: string, readonly scope?: string }

/** What the admin API shows of a registration: no secret in it. */
export interface McpServerView {
  readonly name: string
  readonly description: string
  readonly kind: 'stdio' | 'http'
  /** The command and its arguments, or the URL. */
  readonly target: string
  readonly envNames?: readonly string[]
  readonly network?: boolean
  readonly memoryMiB?: number
  readonly auth?: 'token' | 'client-credentials' | 'oauth'
  readonly callDeadlineMs?: number
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/
const MAX_TEXT = 4_096
const MAX_URL = 2_048

/** `value` as a registration, every field checked (unknown fields refused); throws
 * InvalidServerRegistrationError naming the field. */
export function checkServerRegistration (value: unknown): McpServerRegistration {
  const r = object(value, '(root)')
  only(r, ['name', 'description', 'transport', 'callDeadlineMs'], '')
  if (typeof r.name !== 'string' || !new RegExp(SOURCE_NAME_PATTERN).test(r.name)) fail('name', `expected a lowercase name matching ${SOURCE_NAME_PATTERN}`)
  const description = r.description ?? ''
  if (typeof description !== 'string' || description.length > MAX_PLUGIN_DESCRIPTION) fail('description', `expected a string of at most ${MAX_PLUGIN_DESCRIPTION} characters`)
  const t = object(r.transport, 'transport')
  const transport = t.kind === 'stdio' ? checkStdio(t) : t.kind === 'http' ? checkHttp(t) : fail('transport.kind', 'expected "stdio" or "http"')
  if (r.callDeadlineMs !== undefined && (!Number.isInteger(r.callDeadlineMs) || (r.callDeadlineMs as number) < 1 || (r.callDeadlineMs as number) > DEFAULT_TOOL_DEADLINE_MS)) {
    fail('callDeadlineMs', `expected an integer from 1 to ${DEFAULT_TOOL_DEADLINE_MS}`)
  }
  return { name: r.name as string, description: description as string, transport, ...(r.callDeadlineMs !== undefined && { callDeadlineMs: r.callDeadlineMs as number }) }
}

function checkStdio (t: Record<string, unknown>): StdioServerSpec {
  only(t, ['kind', 'command', 'args', 'env', 'network', 'memoryMiB'], 'transport.')
  const command = t.command
  if (typeof command !== 'string' || command.length === 0 || command.length > MAX_TEXT || command.includes('\0') || (!command.startsWith('/') && command.includes('/'))) {
    fail('transport.command', 'expected an absolute path or a program name found on the PATH (no relative path)')
  }
  let args: string[] | undefined
  if (t.args !== undefined) {
    if (!Array.isArray(t.args) || t.args.length > MAX_ENTRY_ARGS) fail('transport.args', `expected a list of at most ${MAX_ENTRY_ARGS} strings`)
    args = (t.args as unknown[]).map((a, i) => typeof a === 'string' && a.length <= MAX_TEXT && !a.includes('\0') ? a : fail(`transport.args[${i}]`, `expected a string of at most ${MAX_TEXT} characters`))
  }
  let env: Record<string, string> | undefined
  if (t.env !== undefined) {
    const e = object(t.env, 'transport.env')
    if (Object.keys(e).length > MAX_PERMISSION_ENTRIES) fail('transport.env', `expected at most ${MAX_PERMISSION_ENTRIES} variables`)
    env = {}
    for (const [k, v] of Object.entries(e)) {
      if (!ENV_NAME.test(k) || k.startsWith('PLEXI_') || k === 'NODE_OPTIONS') fail(`transport.env.${k.slice(0, 64)}`, 'expected a variable name (not PLEXI_* or NODE_OPTIONS)')
      if (typeof v !== 'string' || v.length > MAX_TEXT || v.includes('\0')) fail(`transport.env.${k}`, `expected a string of at most ${MAX_TEXT} characters`)
      env[k] = v as string
    }
  }
  if (t.network !== undefined && typeof t.network !== 'boolean') fail('transport.network', 'expected true or false')
  if (t.memoryMiB !== undefined && (!Number.isInteger(t.memoryMiB) || (t.memoryMiB as number) < MIN_PLUGIN_MEMORY_MIB || (t.memoryMiB as number) > MAX_PLUGIN_MEMORY_MIB)) {
    fail('transport.memoryMiB', `expected an integer from ${MIN_PLUGIN_MEMORY_MIB} to ${MAX_PLUGIN_MEMORY_MIB} (default ${DEFAULT_PLUGIN_MEMORY_MIB})`)
  }
  return {
    kind: 'stdio',
    command: command as string,
    ...(args !== undefined && { args }),
    ...(env !== undefined && { env }),
    ...(t.network !== undefined && { network: t.network as boolean }),
    ...(t.memoryMiB !== undefined && { memoryMiB: t.memoryMiB as number })
  }
}

function checkHttp (t: Record<string, unknown>): HttpServerSpec {
  only(t, ['kind', 'url', 'auth'], 'transport.')
  let url: URL | undefined
  try {
    url = typeof t.url === 'string' && t.url.length <= MAX_URL ? new URL(t.url) : undefined
  } catch {}
  if (url === undefined || (url.protocol !== 'http:' && url.protocol !== 'https:') || url.username !== '' || url.password !== '') {
    fail('transport.url', 'expected an http: or https: URL (credentials go in auth, not in the URL)')
  }
  if (t.auth === undefined) return { kind: 'http', url: t.url as string }
  const a = object(t.auth, 'transport.auth')
  const str = (field: string, optional: boolean): string | undefined => {
    const v = a[field]
    if (v === undefined && optional) return undefined
    if (typeof v !== 'string' || v.length === 0 || v.length > MAX_TEXT) fail(`transport.auth.${field}`, `expected a string of 1 to ${MAX_TEXT} characters`)
    return v as string
  }
  let auth: ServerAuth
  switch (a.kind) {
    case 'token':
      only(a, ['kind', 'token'], 'transport.auth.')
      auth = { kind: 'token', token: str('token', false) as string }
      break
    case 'client-credentials': {
      only(a, ['kind', 'clientId', 'clientSecret', 'scope', 'issuer'], 'transport.auth.')
      const [scope, issuer] = [str('scope', true), str('issuer', true)]
      auth = { kind: 'client-credentials', clientId: str('clientId', false) as string, clientSecret: str('clientSecret', false) as string, ...(scope !== undefined && { scope }), ...(issuer !== undefined && { issuer }) }
      break
    }
    case 'oauth': {
      only(a, ['kind', 'clientId', 'clientSecret', 'scope'], 'transport.auth.')
      const [clientId, clientSecret, scope] = [str('clientId', true), str('clientSecret', true), str('scope', true)]
      auth = { kind: 'oauth', ...(clientId !== undefined && { clientId }), ...(clientSecret !== undefined && { clientSecret }), ...(scope !== undefined && { scope }) }
      break
    }
    default:
      return fail('transport.auth.kind', 'expected "token", "client-credentials" or "oauth"')
  }
  return { kind: 'http', url: t.url as string, auth }
}

/** What the admin API shows of `r`: its secrets left out. */
export function serverView (r: McpServerRegistration): McpServerView {
  const t = r.transport
  const base = { name: r.name, description: r.description, ...(r.callDeadlineMs !== undefined && { callDeadlineMs: r.callDeadlineMs }) }
  if (t.kind === 'stdio') {
    return {
      ...base,
      kind: 'stdio',
      target: [t.command, ...(t.args ?? [])].join(' '),
      envNames: Object.keys(t.env ?? {}),
      network: t.network ?? false,
      memoryMiB: t.memoryMiB ?? DEFAULT_PLUGIN_MEMORY_MIB
    }
  }
  return { ...base, kind: 'http', target: t.url, ...(t.auth !== undefined && { auth: t.auth.kind }) }
}

function object (value: unknown, field: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(field, 'expected a JSON object')
  return value as Record<string, unknown>
}

function only (o: Record<string, unknown>, known: readonly string[], prefix: string): void {
  for (const key of Object.keys(o)) if (!known.includes(key)) fail(`${prefix}${key.slice(0, 64)}`, `not a field (expected one of ${known.join(', ')})`)
}

function fail (field: string, why: string): never {
  throw new InvalidServerRegistrationError(field, why)
}
