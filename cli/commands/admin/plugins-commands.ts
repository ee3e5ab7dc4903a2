import type { Command } from 'commander'
import { readFile, stat } from 'node:fs/promises'
import { MAX_PACKAGE_BYTES } from '../../../protocols/plugins/index.ts'
import type { AdminClient } from '../../admin-client.ts'
import { CliError, UsageError } from '../../cli-errors.ts'
import { printJson, printTable } from '../../cli-io.ts'
import type { CliIo } from '../../cli-io.ts'
import { withClientOptions, withFlags } from '../../client-options.ts'
import type { ClientFlags } from '../../client-options.ts'
import { packPluginDir } from '../../plugin-pack.ts'
import type { AdminContext } from './admin-context.ts'
import { mib } from './mib.ts'

/** A member's side of a plugin (GET /api/v1/plugins). */
interface PluginNodeRow {
  node: string
  member: string
  version: string | null
  state: string
  restarts: number
  error: string | null
  calls: number | null
  errors: number | null
  latencyMs: number | null
  memoryBytes: number | null
  running: string[]
}

interface PluginRow {
  name: string
  description: string
  active: string
  previous: string | null
  enabled: boolean
  permissions: Record<string, unknown>
  versions: Array<{ version: string, digest: string, size: number, installedBy: string, installedAt: number, plexi: string }>
  nodes: PluginNodeRow[]
}

type WaitFlags = ClientFlags & { wait?: boolean, timeout?: string }

/** How long `--wait` waits by default for every member to run what was asked. */
const DEFAULT_WAIT_S = 60
const POLL_MS = 250

/** `plexi admin plugins install|ls|show|enable|disable|upgrade|rollback|rm|logs`: the cluster's plugins (/api/v1/plugins). */
export function pluginsCommands (admin: Command, cx: AdminContext): void {
  const plugins = admin.command('plugins').description('the cluster\'s plugins: installed once, run by every member with the plugins role')
  installCommand(plugins, cx)
  listCommands(plugins, cx)
  changeCommands(plugins, cx)
  logsCommand(plugins, cx)
}

function installCommand (plugins: Command, cx: AdminContext): void {
  waiting(withClientOptions(plugins.command('install <package>'), 'admin'))
    .description(`install a plugin: <package> is its folder (packed here) or a .tgz, at most ${MAX_PACKAGE_BYTES / 1_048_576} MiB; a new plugin starts on every plugins-role member (waited for unless --no-wait); a new version of an installed one is stored for an upgrade`)
    .action(withFlags(async (path: string, flags: WaitFlags) => {
      const { api } = await cx.client(flags)
      const done = await install(api, path)
      if (flags.json === true) return printJson(cx.io, done)
      const { plugin, version } = done
      const size = plugin.versions.find((v) => v.version === version)?.size ?? 0
      if (!done.installed) cx.io.stdout.write(`${plugin.name} ${version} is installed already (sha256 ${done.digest}): nothing changed\n`)
      else cx.io.stdout.write(`installed ${plugin.name} ${version} (sha256 ${done.digest}, ${mib(size)})\npermissions: ${permissionsText(plugin.permissions)}\n`)
      if (plugin.active !== version) {
        cx.io.stdout.write(`${plugin.name} runs ${plugin.active}: switch with plexi admin plugins upgrade ${plugin.name} ${version}\n`)
        return
      }
      if (done.installed && plugin.enabled) await settle(cx, api, plugin.name, { version }, flags)
    }))
}

function listCommands (plugins: Command, cx: AdminContext): void {
  withClientOptions(plugins.command('ls', { isDefault: true }), 'admin')
    .description('every plugin and what each plugins-role member runs of it: version, state, calls, errors, latency, restarts, memory')
    .action(withFlags(async (flags: ClientFlags) => {
      const list = await (await cx.client(flags)).api.request<PluginRow[]>('GET', '/api/v1/plugins')
      if (flags.json === true) return printJson(cx.io, list)
      if (list.length === 0) cx.io.stdout.write('no plugins: plexi admin plugins install <folder|.tgz>\n')
      else printPlugins(cx.io, list)
    }))
  withClientOptions(plugins.command('show <name>'), 'admin')
    .description('one plugin: its versions, the permissions it is granted, each member\'s side')
    .action(withFlags(async (name: string, flags: ClientFlags) => {
      const plugin = await (await cx.client(flags)).api.request<PluginRow>('GET', `/api/v1/plugins/${encodeURIComponent(name)}`)
      if (flags.json === true) return printJson(cx.io, plugin)
      showPlugin(cx.io, plugin)
    }))
}

function changeCommands (plugins: Command, cx: AdminContext): void {
  const changes = [
    ['enable', 'start it again on every plugins-role member'],
    ['disable', 'stop it on every member (its versions stay installed)'],
    ['rollback', 'go back to the version active before: it starts beside the running one, which stops once it is up (no call fails)']
  ] as const
  for (const [verb, what] of changes) {
    waiting(withClientOptions(plugins.command(`${verb} <name>`), 'admin'))
      .description(what)
      .action(withFlags(async (name: string, flags: WaitFlags) => {
        const { api } = await cx.client(flags)
        const plugin = await api.request<PluginRow>('POST', `/api/v1/plugins/${encodeURIComponent(name)}/${verb}`)
        if (flags.json === true) return printJson(cx.io, plugin)
        cx.io.stdout.write(verb === 'disable' ? `${name} is disabled\n` : verb === 'enable' ? `${name} is enabled (${plugin.active})\n` : `${name} rolls back to ${plugin.active}\n`)
        await settle(cx, api, name, verb === 'disable' ? 'stopped' : { version: plugin.active }, flags)
      }))
  }
  waiting(withClientOptions(plugins.command('upgrade <name> <version-or-package>'), 'admin'))
    .description('switch a plugin to another version, installed or given as a folder or .tgz (installed first): on every member it starts beside the running one, calls move to it once it is up, and the old one drains and stops (no call fails)')
    .action(withFlags(async (name: string, target: string, flags: WaitFlags) => {
      const { api } = await cx.client(flags)
      let version = target
      if (await exists(target)) {
        const done = await install(api, target)
        if (done.plugin.name !== name) throw new CliError(`${target} holds the plugin ${done.plugin.name}, not ${name} (it was installed; nothing was switched)`)
        version = done.version
      }
      const plugin = await api.request<PluginRow>('POST', `/api/v1/plugins/${encodeURIComponent(name)}/upgrade`, { version })
      if (flags.json === true) return printJson(cx.io, plugin)
      cx.io.stdout.write(`${name} switches to ${plugin.active}${plugin.previous === null ? '' : ` (from ${plugin.previous})`}\n`)
      if (plugin.enabled) await settle(cx, api, name, { version: plugin.active }, flags)
    }))
  withClientOptions(plugins.command('rm <name>'), 'admin')
    .description('remove a plugin and every version of it: every member stops it and removes its folder')
    .action(withFlags(async (name: string, flags: ClientFlags) => {
      const plugin = await (await cx.client(flags)).api.request<PluginRow>('DELETE', `/api/v1/plugins/${encodeURIComponent(name)}`)
      if (flags.json === true) return printJson(cx.io, plugin)
      cx.io.stdout.write(`removed ${name} (${plugin.versions.map((v) => v.version).join(', ')})\n`)
    }))
}

function logsCommand (plugins: Command, cx: AdminContext): void {
  withClientOptions(plugins.command('logs <name>'), 'admin')
    .description('the newest lines the plugin\'s running versions wrote on their stderr on each plugins-role member')
    .option('--node <peer>', 'only this member')
    .option('-n, --lines <n>', 'lines per member (1-500)', '100')
    .action(withFlags(async (name: string, flags: ClientFlags & { node?: string, lines: string }) => {
      const lines = Number(flags.lines)
      if (!Number.isInteger(lines) || lines < 1 || lines > 500) throw new UsageError(`--lines: expected a whole number from 1 to 500, got ${flags.lines}`)
      const query = `limit=${lines}${flags.node === undefined ? '' : `&node=${encodeURIComponent(flags.node)}`}`
      const { logs } = await (await cx.client(flags)).api.request<{ logs: Array<{ node: string, lines: Array<{ version: string, line: string }> }> }>('GET', `/api/v1/plugins/${encodeURIComponent(name)}/logs?${query}`)
      if (flags.json === true) return printJson(cx.io, logs)
      if (logs.length === 0) cx.io.stdout.write(`no member that runs plugins answered for ${name}\n`)
      for (const member of logs) {
        cx.io.stdout.write(`== ${member.node} (${member.lines.length} line${member.lines.length === 1 ? '' : 's'})\n`)
        for (const l of member.lines) cx.io.stdout.write(`${l.version} ${l.line}\n`)
      }
    }))
}

function waiting (command: Command): Command {
  return command
    .option('--no-wait', 'return once the catalog took it, without waiting for the members')
    .option('--timeout <seconds>', `how long to wait for every member (default ${DEFAULT_WAIT_S})`)
}

interface InstallAnswer { plugin: PluginRow, version: string, digest: string, installed: boolean }

/** Sends a package: a folder is packed here, a file is sent as it is. */
async function install (api: AdminClient, path: string): Promise<InstallAnswer> {
  let bytes: Buffer
  const info = await stat(path).catch(() => { throw new UsageError(`${path}: no such folder or file (give a plugin's folder or a .tgz)`) })
  if (info.isDirectory()) {
    bytes = await packPluginDir(path)
  } else {
    if (info.size > MAX_PACKAGE_BYTES) throw new CliError(`${path} is ${info.size} bytes, over the ${MAX_PACKAGE_BYTES} a package may be`)
    bytes = await readFile(path)
  }
  return await api.upload<InstallAnswer>('/api/v1/plugins', bytes, 'application/gzip')
}

async function exists (path: string): Promise<boolean> {
  return await stat(path).then(() => true, () => false)
}

/** Waits (unless --no-wait) until every plugins-role member up runs `want` (or has it stopped),
 * printing where it got; exit 1 when the time is up first. */
async function settle (cx: AdminContext, api: AdminClient, name: string, want: { version: string } | 'stopped', flags: WaitFlags): Promise<void> {
  if (flags.wait === false) return
  const seconds = flags.timeout === undefined ? DEFAULT_WAIT_S : Number(flags.timeout)
  if (!Number.isFinite(seconds) || seconds <= 0 || seconds > 3_600) throw new UsageError(`--timeout: expected seconds from 1 to 3600, got ${String(flags.timeout)}`)
  const deadline = Date.now() + seconds * 1_000
  const ok = (n: PluginNodeRow): boolean => want === 'stopped' ? n.state === 'stopped' : n.version === want.version && n.state === 'running' && n.running.length === 1
  for (;;) {
    const plugin = await api.request<PluginRow>('GET', `/api/v1/plugins/${encodeURIComponent(name)}`)
    const up = plugin.nodes.filter((n) => n.member === 'up')
    const done = up.filter(ok)
    const what = want === 'stopped' ? 'stopped' : `runs ${want.version}`
    if (up.length > 0 && done.length === up.length) {
      cx.io.stdout.write(`${name} ${what} on ${done.length} of ${up.length} plugins-role member${up.length === 1 ? '' : 's'}\n`)
      return
    }
    if (Date.now() > deadline) {
      const late = up.filter((n) => !ok(n)).map((n) => `${n.node} (${n.state}${n.error === null ? '' : `: ${n.error}`})`)
      throw new CliError(up.length === 0
        ? `no member with the plugins role answered: ${name} runs once one does (plexi admin roles set <peer> ...,plugins)`
        : `${name} ${what} on ${done.length} of ${up.length} members after ${seconds} s; not yet: ${late.join(', ')}`)
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS))
  }
}

function printPlugins (io: CliIo, list: PluginRow[]): void {
  printTable(io, ['PLUGIN', 'ACTIVE', 'ENABLED', 'NODE', 'VERSION', 'STATE', 'CALLS', 'ERRORS', 'LATENCY', 'RESTARTS', 'MEMORY'], list.flatMap((p) => {
    const first = [p.name, p.active, p.enabled ? 'yes' : 'no']
    if (p.nodes.length === 0) return [[...first, '-', '-', 'no member runs plugins', '-', '-', '-', '-', '-']]
    return p.nodes.map((n, i) => [...(i === 0 ? first : ['', '', '']), ...nodeCells(n)])
  }))
}

function nodeCells (n: PluginNodeRow): string[] {
  return [
    n.node, n.running.length > 1 ? n.running.join('+') : n.version ?? '-', n.member === 'up' ? n.state : `${n.state} (${n.member})`,
    count(n.calls), count(n.errors), n.latencyMs === null ? '-' : `${n.latencyMs.toFixed(1)} ms`, String(n.restarts), n.memoryBytes === null ? '-' : mib(n.memoryBytes)
  ]
}

function count (n: number | null): string {
  return n === null ? '-' : String(n)
}

/** `plugins show`: a line per fact, then the members. */
function showPlugin (io: CliIo, p: PluginRow): void {
  io.stdout.write(`${p.name}: ${p.description}\n`)
  io.stdout.write(`active ${p.active}${p.previous === null ? '' : ` (rollback goes to ${p.previous})`}, ${p.enabled ? 'enabled' : 'disabled'}\n`)
  io.stdout.write(`permissions: ${permissionsText(p.permissions)}\n`)
  for (const v of p.versions) io.stdout.write(`version ${v.version}: sha256 ${v.digest}, ${mib(v.size)}, plugin API ${v.plexi}, installed by ${v.installedBy} at ${new Date(v.installedAt).toISOString()}\n`)
  if (p.nodes.length > 0) printTable(io, ['NODE', 'VERSION', 'STATE', 'CALLS', 'ERRORS', 'LATENCY', 'RESTARTS', 'MEMORY'], p.nodes.map(nodeCells))
  for (const n of p.nodes) if (n.error !== null) io.stdout.write(`${n.node}: ${n.error}\n`)
}

/** What a manifest's permissions grant, in words. */
export function permissionsText (p: Record<string, unknown>): string {
  const list = (v: unknown): string => (Array.isArray(v) ? v.join(', ') : '')
  const parts = [
    ...(Array.isArray(p.read) && p.read.length > 0 ? [`read ${list(p.read)}`] : []),
    ...(Array.isArray(p.write) && p.write.length > 0 ? [`write ${list(p.write)}`] : []),
    ...(p.network === true ? ['network'] : []),
    ...(p.childProcess === true ? ['child processes'] : []),
    ...(p.addons === true ? ['native addons'] : []),
    ...(Array.isArray(p.env) && p.env.length > 0 ? [`env ${list(p.env)}`] : []),
    ...(typeof p.memoryMiB === 'number' ? [`${p.memoryMiB} MiB of memory`] : [])
  ]
  return parts.length === 0 ? 'none beyond reading its own package' : parts.join('; ')
}
