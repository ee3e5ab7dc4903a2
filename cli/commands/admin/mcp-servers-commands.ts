import type { Command } from 'commander'
import { readFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import { DEFAULT_TOOL_DEADLINE_MS, MAX_PLUGIN_MEMORY_MIB, MIN_PLUGIN_MEMORY_MIB } from '../../../protocols/plugins/index.ts'
import type { AdminClient } from '../../admin-client.ts'
import { CliError, UsageError } from '../../cli-errors.ts'
import { printJson, printTable } from '../../cli-io.ts'
import type { CliIo } from '../../cli-io.ts'
import { withClientOptions, withFlags } from '../../client-options.ts'
import type { ClientFlags } from '../../client-options.ts'
import { integer } from '../../flag-values.ts'
import type { AdminContext } from './admin-context.ts'

/** A member's side of a server (GET /api/v1/mcp-servers). */
interface ServerNodeRow {
  node: string
  state: string
  tools: string[]
  restarts: number
  error: string | null
  upSince: number | null
  retryAt: number | null
}

interface ServerRow {
  name: string
  description: string
  kind: 'stdio' | 'http'
  target: string
  envNames?: string[]
  network?: boolean
  memoryMiB?: number
  auth?: string
  callDeadlineMs?: number
  nodes: ServerNodeRow[]
}

type AddFlags = ClientFlags & {
  command?: string
  arg?: string[]
  env?: string[]
  network?: boolean
  memory?: string
  url?: string
  bearerTokenFile?: string
  clientId?: string
  clientSecretFile?: string
  scope?: string
  issuer?: string
  oauth?: boolean
  description?: string
  deadline?: string
  replace?: boolean
  wait?: boolean
  timeout?: string
}

/** How long `add` waits by default for every plugins-role member to connect. */
const DEFAULT_WAIT_S = 60
const POLL_MS = 250
/** A secret read from a file, at most (a token or a client secret: a line, never a file's worth). */
const MAX_SECRET_FILE_BYTES = 4_096

const repeated = (value: string, previous: readonly string[] = []): string[] => [...previous, value]

/** `plexi admin mcp-servers ls|add|rm`: the MCP servers registered for the cluster (/api/v1/mcp-servers). */
export function mcpServersCommands (admin: Command, cx: AdminContext): void {
  const servers = admin.command('mcp-servers').description('MCP servers registered for the cluster: every plugins-role member connects to each, and their tools are offered to the users granted them')
  withClientOptions(servers.command('ls', { isDefault: true }), 'admin')
    .description('every registered server (no secret shown) and each plugins-role member\'s connection to it: state, tools, restarts, why it failed')
    .action(withFlags(async (flags: ClientFlags) => {
      const list = await (await cx.client(flags)).api.request<ServerRow[]>('GET', '/api/v1/mcp-servers')
      if (flags.json === true) return printJson(cx.io, list)
      if (list.length === 0) cx.io.stdout.write('no MCP servers: plexi admin mcp-servers add NAME --command CMD | --url URL\n')
      else printServers(cx.io, list)
    }))
  addCommand(servers, cx)
  withClientOptions(servers.command('rm <name>'), 'admin')
    .description('remove a registered server: every member disconnects from it (its process is stopped)')
    .action(withFlags(async (name: string, flags: ClientFlags) => {
      const row = await (await cx.client(flags)).api.request<ServerRow>('DELETE', `/api/v1/mcp-servers/${encodeURIComponent(name)}`)
      if (flags.json === true) return printJson(cx.io, row)
      cx.io.stdout.write(`removed ${row.name} (${row.target})\n`)
    }))
}

function addCommand (servers: Command, cx: AdminContext): void {
  withClientOptions(servers.command('add <name>'), 'admin')
    .description('register an MCP server for the cluster: a command every plugins-role member runs over stdio (--command), or a streamable HTTP URL each connects to (--url); waits until every member is connected (unless --no-wait). Its tools are named <name>__<tool>. Secrets go in --env or the files given, never in --arg or the URL: those are shown')
    .option('--command <cmd>', 'stdio: an absolute path, or a program found on the members\' PATH')
    .option('--arg <arg>', 'stdio: an argument (repeat the flag for each, in order)', repeated)
    .option('--env <K=V>', 'stdio: a variable set for it (repeatable); K alone takes its value from this shell\'s environment', repeated)
    .option('--network', 'stdio: it may use the network (by default it runs in a network namespace of its own where the machine allows)')
    .option('--memory <mib>', `stdio: its memory cap in MiB (${MIN_PLUGIN_MEMORY_MIB}-${MAX_PLUGIN_MEMORY_MIB}, default 256)`)
    .option('--url <url>', 'http: the server\'s streamable HTTP endpoint (http: or https:)')
    .option('--bearer-token-file <file>', 'http: send the token in this file as a bearer token')
    .option('--client-id <id>', 'http: OAuth client credentials with --client-secret-file; with --oauth, a pre-registered client')
    .option('--client-secret-file <file>', 'http: the OAuth client secret, in this file')
    .option('--scope <scope>', 'http: the OAuth scope to ask for')
    .option('--issuer <url>', 'http: client credentials are sent only to this authorization server')
    .option('--oauth', 'http: OAuth\'s authorization code flow, followed by the node without a browser (dynamic client registration unless --client-id)')
    .option('--description <text>', 'what it is for')
    .option('--deadline <ms>', `its tool calls' deadline (1-${DEFAULT_TOOL_DEADLINE_MS}, default ${DEFAULT_TOOL_DEADLINE_MS})`)
    .option('--replace', 'replace the registration of that name (every member reconnects)')
    .option('--no-wait', 'return once it is registered, without waiting for the members')
    .option('--timeout <seconds>', `how long to wait for every member (default ${DEFAULT_WAIT_S})`)
    .action(withFlags(async (name: string, flags: AddFlags) => {
      const registration = await registrationOf(cx.io, name, flags)
      const seconds = waitSeconds(flags)
      const { api } = await cx.client(flags)
      const row = flags.replace === true
        ? await api.request<ServerRow>('PUT', `/api/v1/mcp-servers/${encodeURIComponent(name)}`, registration)
        : await api.request<ServerRow>('POST', '/api/v1/mcp-servers', registration)
      if (flags.json !== true) cx.io.stdout.write(`${flags.replace === true ? 'registered again' : 'registered'} ${row.name} (${describeServer(row)})\n`)
      const final = seconds === undefined ? row : await connected(cx, api, row.name, seconds, flags.json !== true)
      if (flags.json === true) printJson(cx.io, final)
    }))
}

/** The registration the flags describe; every mistake a usage error naming the flag. */
async function registrationOf (io: CliIo, name: string, flags: AddFlags): Promise<Record<string, unknown>> {
  const stdioOnly = (['arg', 'env', 'network', 'memory'] as const).filter((f) => flags[f] !== undefined)
  const httpOnly = (['bearerTokenFile', 'clientId', 'clientSecretFile', 'scope', 'issuer', 'oauth'] as const).filter((f) => flags[f] !== undefined)
  const flag = (f: string): string => `--${f.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`
  if ((flags.command === undefined) === (flags.url === undefined)) throw new UsageError('give --command CMD (a server run over stdio) or --url URL (a streamable HTTP server), one of them')
  if (flags.command !== undefined && httpOnly.length > 0) throw new UsageError(`${flag(httpOnly[0] as string)} is for a server at a --url, not a --command`)
  if (flags.url !== undefined && stdioOnly.length > 0) throw new UsageError(`${flag(stdioOnly[0] as string)} is for a --command, not a server at a --url`)
  const transport = flags.command !== undefined
    ? {
        kind: 'stdio',
        command: flags.command,
        ...(flags.arg !== undefined && { args: flags.arg }),
        ...(flags.env !== undefined && { env: environment(io, flags.env) }),
        ...(flags.network === true && { network: true }),
        ...(flags.memory !== undefined && { memoryMiB: integer(flags.memory, '--memory', MIN_PLUGIN_MEMORY_MIB, MAX_PLUGIN_MEMORY_MIB) })
      }
    : { kind: 'http', url: flags.url, ...await authOf(io, flags) }
  return {
    name,
    ...(flags.description !== undefined && { description: flags.description }),
    ...(flags.deadline !== undefined && { callDeadlineMs: integer(flags.deadline, '--deadline', 1, DEFAULT_TOOL_DEADLINE_MS) }),
    transport
  }
}

/** `--env K=V` and `--env K` (this shell's value) as the registration's variables. */
function environment (io: CliIo, values: readonly string[]): Record<string, string> {
  const env: Record<string, string> = {}
  for (const value of values) {
    const at = value.indexOf('=')
    const key = at < 0 ? value : value.slice(0, at)
    if (key === '') throw new UsageError(`--env: expected NAME=VALUE or NAME, got ${JSON.stringify(value.slice(0, 40))}`)
    const given = at < 0 ? io.env[key] : value.slice(at + 1)
    if (given === undefined) throw new UsageError(`--env ${key}: ${key} is not set in this shell; give ${key}=VALUE`)
    if (Object.hasOwn(env, key)) throw new UsageError(`--env ${key}: given twice`)
    env[key] = given
  }
  return env
}

/** The HTTP server's auth from the flags: a token file, client credentials, or --oauth. */
async function authOf (io: CliIo, flags: AddFlags): Promise<{ auth?: Record<string, string> }> {
  const secret = async (file: string | undefined, what: string): Promise<string | undefined> => file === undefined ? undefined : await secretFile(io, file, what)
  const optional = (key: string, value: string | undefined): Record<string, string> => value === undefined ? {} : { [key]: value }
  if (flags.bearerTokenFile !== undefined) {
    const other = (['clientId', 'clientSecretFile', 'scope', 'issuer', 'oauth'] as const).find((f) => flags[f] !== undefined)
    if (other !== undefined) throw new UsageError(`--bearer-token-file and --${other.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}: a server takes one way to authenticate`)
    return { auth: { kind: 'token', token: await secret(flags.bearerTokenFile, '--bearer-token-file') as string } }
  }
  if (flags.oauth === true) {
    if (flags.issuer !== undefined) throw new UsageError('--issuer is for client credentials (--client-id and --client-secret-file without --oauth)')
    return { auth: { kind: 'oauth', ...optional('clientId', flags.clientId), ...optional('clientSecret', await secret(flags.clientSecretFile, '--client-secret-file')), ...optional('scope', flags.scope) } }
  }
  if (flags.clientId === undefined && flags.clientSecretFile === undefined) {
    if (flags.scope !== undefined || flags.issuer !== undefined) throw new UsageError(`${flags.scope !== undefined ? '--scope' : '--issuer'} goes with --client-id and --client-secret-file, or --oauth`)
    return {}
  }
  if (flags.clientId === undefined || flags.clientSecretFile === undefined) throw new UsageError('OAuth client credentials take both --client-id and --client-secret-file (or add --oauth for the authorization code flow)')
  return {
    auth: { kind: 'client-credentials', clientId: flags.clientId, clientSecret: await secret(flags.clientSecretFile, '--client-secret-file') as string, ...optional('scope', flags.scope), ...optional('issuer', flags.issuer) }
  }
}

/** A secret kept in a file (its last line end left out). */
async function secretFile (io: CliIo, file: string, flag: string): Promise<string> {
  let bytes: Buffer
  try {
    bytes = await readFile(resolve(io.cwd, file))
  } catch (err) {
    throw new UsageError(`${flag} ${file}: cannot read it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`)
  }
  if (bytes.length > MAX_SECRET_FILE_BYTES) throw new UsageError(`${flag} ${file}: ${bytes.length} bytes is more than a secret (at most ${MAX_SECRET_FILE_BYTES})`)
  const text = bytes.toString('utf8').replace(/\r?\n$/, '')
  if (text.length === 0) throw new UsageError(`${flag} ${file}: the file is empty`)
  return text
}

/** --timeout in seconds, or undefined with --no-wait. */
function waitSeconds (flags: AddFlags): number | undefined {
  if (flags.wait === false) return undefined
  if (flags.timeout === undefined) return DEFAULT_WAIT_S
  const seconds = Number(flags.timeout)
  if (!Number.isFinite(seconds) || seconds <= 0 || seconds > 3_600) throw new UsageError(`--timeout: expected seconds from 1 to 3600, got ${flags.timeout}`)
  return seconds
}

/** Waits until every plugins-role member is connected to `name`, saying so (`say`); exit 1 at once
 * when a member could not connect (with why), or when the time is up first. */
async function connected (cx: AdminContext, api: AdminClient, name: string, seconds: number, say: boolean): Promise<ServerRow> {
  const deadline = Date.now() + seconds * 1_000
  for (;;) {
    const row = await api.request<ServerRow>('GET', `/api/v1/mcp-servers/${encodeURIComponent(name)}`)
    const failed = row.nodes.find((n) => n.state === 'failed')
    if (failed !== undefined) throw new CliError(`${name} is registered, but ${failed.node} could not connect to it: ${failed.error ?? 'no reason given'} (it tries again; plexi admin mcp-servers rm ${name} removes it)`)
    const up = row.nodes.filter((n) => n.state === 'up')
    if (row.nodes.length > 0 && up.length === row.nodes.length) {
      const tools = new Set(up.flatMap((n) => n.tools)).size
      if (say) cx.io.stdout.write(`${name} is connected on ${up.length} of ${up.length} plugins-role member${up.length === 1 ? '' : 's'} (${tools} tool${tools === 1 ? '' : 's'})\n`)
      return row
    }
    if (Date.now() > deadline) {
      throw new CliError(row.nodes.length === 0
        ? `no member with the plugins role answered: ${name} is connected once one does (plexi admin roles set <peer> ...,plugins)`
        : `${name} is connected on ${up.length} of ${row.nodes.length} members after ${seconds} s; not yet: ${row.nodes.filter((n) => n.state !== 'up').map((n) => `${n.node} (${n.state})`).join(', ')}`)
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS))
  }
}

/** A server in a few words: its transport, and what it is given (names only). */
function describeServer (row: ServerRow): string {
  const given = row.kind === 'stdio'
    ? [...((row.envNames ?? []).length > 0 ? [`env ${(row.envNames ?? []).join(', ')}`] : []), ...(row.network === true ? ['network'] : [])]
    : row.auth === undefined ? [] : [`auth ${row.auth}`]
  return `${row.kind}: ${row.target}${given.length === 0 ? '' : `; ${given.join('; ')}`}`
}

function printServers (io: CliIo, list: readonly ServerRow[]): void {
  printTable(io, ['SERVER', 'KIND', 'TARGET', 'GIVEN', 'NODE', 'STATE', 'TOOLS', 'RESTARTS'], list.flatMap((s) => {
    const given = s.kind === 'stdio' ? [...(s.envNames ?? []).map((n) => `env ${n}`), ...(s.network === true ? ['network'] : [])].join(', ') : s.auth ?? ''
    const first = [s.name, s.kind, s.target, given === '' ? '-' : given]
    if (s.nodes.length === 0) return [[...first, '-', 'no plugins-role member', '-', '-']]
    return s.nodes.map((n, i) => [...(i === 0 ? first : ['', '', '', '']), n.node, n.state, String(n.tools.length), String(n.restarts)])
  }))
  for (const s of list) for (const n of s.nodes) if (n.error !== null) io.stdout.write(`${s.name} on ${n.node}: ${n.error}\n`)
}
