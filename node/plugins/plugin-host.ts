import { mkdir, realpath } from 'node:fs/promises'
import { join } from 'node:path'
import { DEFAULT_PLUGIN_MEMORY_MIB, SOURCE_NAME_PATTERN, checkPluginManifest, checkServerRegistration } from '../../protocols/index.ts'
import type { McpServerRegistration, PlexiCapability, PluginManifest, ToolResult, ToolSpec } from '../../protocols/index.ts'
import { PeriodicService } from '../services/index.ts'
import type { ServiceFailures } from '../services/index.ts'
import { PLUGIN_CLOSE_DRAIN_MS, PLUGIN_DATA_DIR, PLUGIN_MEMORY_SAMPLE_MS } from './constants.ts'
import { InvalidPluginRequestError, PluginAlreadyRunningError, PluginNotFoundError } from './errors.ts'
import { probeNetworkIsolation } from './network-isolation.ts'
import type { NetworkIsolation } from './network-isolation.ts'
import { SERVER_BASE_ENV, pickEnv, pluginPlan, serverPlan } from './plugin-sandbox.ts'
import type { LaunchPlan } from './plugin-sandbox.ts'
import { SourceSet } from './source-set.ts'
import type { CallOutcome, SourceEntry } from './source-set.ts'
import type { Incarnation, SourceStats } from './source-supervisor.ts'
import type { SupervisorTimings } from './supervisor-timings.ts'
import type { SourceLog } from './source-connection.ts'

/** What runs a source: the MCP SDK's client and transports and what is built on them (about 200
 * modules with zod), loaded with the first plugin or server this node runs, not by every node
 * (docs/performance.md, "Idle memory"). */
async function sourceRunners (): Promise<{ PluginProcess: typeof import('./plugin-process.ts').PluginProcess, httpIncarnation: typeof import('./server-transport.ts').httpIncarnation, SourceSupervisor: typeof import('./source-supervisor.ts').SourceSupervisor }> {
  const [{ PluginProcess }, { httpIncarnation }, { SourceSupervisor }] = await Promise.all([import('./plugin-process.ts'), import('./server-transport.ts'), import('./source-supervisor.ts')])
  return { PluginProcess, httpIncarnation, SourceSupervisor }
}

export interface PluginHostOptions {
  /** The node's data dir: each plugin's folder is `<data-dir>/plugins-data/<name>/`. */
  readonly dataDir: string
  readonly log: SourceLog
  readonly failures: ServiceFailures
  /** How plugins are kept off the network (@default probed: probeNetworkIsolation). */
  readonly isolation?: NetworkIsolation
  /** The Node.js that runs `node` entries. @default process.execPath */
  readonly execPath?: string
  /** Where the variables plugins ask for are read. @default process.env */
  readonly env?: NodeJS.ProcessEnv
  readonly timings?: Partial<SupervisorTimings> & { readonly memorySampleMs?: number }
  /** Every call and Plexi request, as it ends (for the latency histogram). */
  readonly onCall?: (source: string, outcome: CallOutcome, seconds: number) => void
  /** A source came up, went down, or its tools changed (the member record says what runs here). */
  readonly onChange?: () => void
}

/** What `start` is given: a package unpacked on this node and its checked manifest. */
export interface PluginToStart {
  readonly name: string
  readonly version: string
  /** The package's folder. */
  readonly dir: string
  readonly manifest: PluginManifest
}

/** A running plugin version or registered server, as the host reports it. */
export interface RunningSource extends SourceStats {
  readonly kind: 'plugin' | 'server'
  readonly name: string
  /** A plugin's version ('' for a server). */
  readonly version: string
  /** Whether calls for its name go to it (the newest version up). */
  readonly active: boolean
  /** Its qualified tool names while up. */
  readonly tools: readonly string[]
  readonly capability: PlexiCapability | undefined
  /** Whether it runs in a network namespace of its own. */
  readonly offline: boolean
  readonly memoryMiB: number | undefined
  readonly manifest?: PluginManifest
}

/** A plugin up here that declared a Plexi capability (chat commands, hooks), with what its
 * manifest says of its before-post hook: what the rooms read to route commands and hooks. */
export interface PluginHooks {
  readonly plugin: string
  readonly version: string
  readonly capability: PlexiCapability
  readonly beforePost?: PluginManifest['beforePost']
  /** Its manifest's call deadline, when it sets one: how long a room waits for a command's answer. */
  readonly callDeadlineMs?: number
}

/**
 * The plugin host (docs/plugins.md, "The host"): runs plugins, each version a sandboxed process
 * (pluginPlan) that speaks MCP over stdio, and the MCP servers an admin registered (a sandboxed
 * command, or a streamable HTTP URL), each a supervised child (SourceSupervisor); lists their
 * tools, calls them with deadlines, sends plugins the Plexi requests, and reads every plugin's
 * memory and liveness on one watchdog service. Nothing here ever waits on a plugin synchronously.
 */
export class PluginHost {
  readonly #opts: PluginHostOptions
  readonly #isolation: NetworkIsolation
  readonly #sources: SourceSet
  readonly #watchdog: PeriodicService
  readonly #plans = new Map<SourceEntry, { plan?: LaunchPlan, manifest?: PluginManifest }>()
  #closed = false

  private constructor (opts: PluginHostOptions, isolation: NetworkIsolation) {
    this.#opts = opts
    this.#isolation = isolation
    this.#sources = new SourceSet(opts.onCall)
    this.#watchdog = new PeriodicService({
      name: 'plugin-watchdog',
      run: async () => { await Promise.all(this.#sources.all().map(async (e) => { await e.supervisor.watch() })) },
      intervalMs: opts.timings?.memorySampleMs ?? PLUGIN_MEMORY_SAMPLE_MS,
      failures: opts.failures,
      log: opts.log
    })
  }

  /** A host: network isolation probed (and said in the log: what is denied and how, or why it
   * cannot be), the plugins' data folder made, the watchdog started. */
  static async open (opts: PluginHostOptions): Promise<PluginHost> {
    const isolation = opts.isolation ?? await probeNetworkIsolation(opts.execPath)
    if (isolation.available) opts.log.info({ isolation: isolation.how }, `plugins without the network permission run in a network namespace of their own: ${isolation.how}`)
    else opts.log.warn({ isolation: isolation.why }, `plugins cannot be denied the network on this machine, so every plugin can open sockets: ${isolation.why}`)
    await mkdir(join(opts.dataDir, PLUGIN_DATA_DIR), { recursive: true, mode: 0o700 })
    const host = new PluginHost(opts, isolation)
    host.#watchdog.start()
    return host
  }

  get isolation (): NetworkIsolation { return this.#isolation }

  /** Calls and Plexi requests so far, by source and outcome (`<source>\0<outcome>` → count). */
  get calls (): ReadonlyMap<string, number> { return this.#sources.calls }

  /** What the host runs now, in numbers (the metrics read the sources themselves). */
  get stats (): { readonly sources: number, readonly up: number, readonly restarts: number, readonly calls: number, readonly offline: boolean } {
    const all = this.#sources.all().map((e) => e.supervisor.stats)
    return {
      sources: all.length,
      up: all.filter((s) => s.state === 'up').length,
      restarts: all.reduce((n, s) => n + s.restarts, 0),
      calls: [...this.#sources.calls.values()].reduce((n, c) => n + c, 0),
      offline: this.#isolation.available
    }
  }

  /**
   * Starts a plugin version (its manifest checked again against its package): resolves with it once
   * it is up (initialized, tools listed). A first start that fails rejects (PluginStartError) and
   * leaves nothing running; later crashes, hangs and memory overruns restart it with backoff.
   * Another version of the same plugin may run beside it (a hot swap): calls go to the newest up.
   */
  async start (plugin: PluginToStart): Promise<RunningSource> {
    if (this.#closed) throw new PluginNotFoundError('the plugin host is closed')
    const manifest = checkPluginManifest(plugin.manifest, { packageDir: plugin.dir })
    if (manifest.name !== plugin.name || manifest.version !== plugin.version) throw new InvalidPluginRequestError(`the manifest is ${manifest.name}@${manifest.version}, not ${plugin.name}@${plugin.version}`)
    if (this.#sources.has(plugin.name, plugin.version)) throw new PluginAlreadyRunningError(`${plugin.name}@${plugin.version} runs already`)
    if (this.#sources.all().some((e) => e.kind === 'server' && e.name === plugin.name)) throw new PluginAlreadyRunningError(`a registered MCP server is named ${plugin.name}`)
    const dataFolder = await this.#dataFolder(plugin.name)
    // each granted path is a folder under the data folder, made now: Node's permission model
    // grants a folder's tree only when the folder exists as it starts
    for (const rel of [...(manifest.permissions.read ?? []), ...(manifest.permissions.write ?? [])]) await mkdir(join(dataFolder, rel), { recursive: true, mode: 0o700 })
    const plan = pluginPlan({ manifest, packageDir: await realpath(plugin.dir), dataFolder, isolation: this.#isolation, ...this.#sandboxEnv() })
    const entry = await this.#entry('plugin', plugin.name, plugin.version, manifest.callDeadlineMs, plan)
    this.#plans.set(entry, { plan, manifest })
    await this.#startEntry(entry)
    return this.#report(entry)
  }

  /** Stops a plugin version (all of its versions without one): its calls in flight drain first. */
  async stop (name: string, version?: string): Promise<void> {
    const entries = this.#sources.all().filter((e) => e.kind === 'plugin' && e.name === name && (version === undefined || e.version === version))
    if (entries.length === 0) throw new PluginNotFoundError(`no plugin ${name}${version === undefined ? '' : `@${version}`} runs on this node`)
    await Promise.all(entries.map(async (e) => { await this.#stopEntry(e) }))
  }

  /** Connects a registered server (a stdio command run like a plugin's command entry, or an HTTP
   * URL): resolves once it is up; a first connection that fails rejects and leaves nothing. */
  async addServer (value: McpServerRegistration): Promise<RunningSource> {
    if (this.#closed) throw new PluginNotFoundError('the plugin host is closed')
    const reg = checkServerRegistration(value)
    if (this.#sources.has(reg.name)) throw new PluginAlreadyRunningError(`a plugin or server named ${reg.name} runs already`)
    let plan: LaunchPlan | undefined
    if (reg.transport.kind === 'stdio') {
      const t = reg.transport
      plan = serverPlan({
        command: t.command,
        args: t.args ?? [],
        env: { ...pickEnv(SERVER_BASE_ENV, this.#opts.env ?? process.env), ...t.env },
        dataFolder: await this.#dataFolder(reg.name),
        network: t.network ?? false,
        memoryMiB: t.memoryMiB ?? DEFAULT_PLUGIN_MEMORY_MIB,
        isolation: this.#isolation
      })
    }
    const entry = await this.#entry('server', reg.name, '', reg.callDeadlineMs, plan, reg)
    this.#plans.set(entry, { ...(plan !== undefined && { plan }) })
    await this.#startEntry(entry)
    return this.#report(entry)
  }

  async removeServer (name: string): Promise<void> {
    const entry = this.#sources.all().find((e) => e.kind === 'server' && e.name === name)
    if (entry === undefined) throw new PluginNotFoundError(`no MCP server ${name} is connected on this node`)
    await this.#stopEntry(entry)
  }

  /** Every plugin version running here. */
  running (): RunningSource[] {
    return this.#sources.all().filter((e) => e.kind === 'plugin').map((e) => this.#report(e))
  }

  /** Every registered server connected (or connecting) here. */
  servers (): RunningSource[] {
    return this.#sources.all().filter((e) => e.kind === 'server').map((e) => this.#report(e))
  }

  /** The tools of every source up here (one version per plugin: the active one). */
  tools (): ToolSpec[] {
    return this.#sources.tools()
  }

  /** Calls a tool by its qualified name (SourceSet.call says what it throws). */
  async call (call: unknown, opts?: { readonly deadlineMs?: number, readonly signal?: AbortSignal }): Promise<ToolResult> {
    return await this.#sources.call(call, opts)
  }

  /** Sends plugin `plugin` a Plexi request (PLEXI_METHODS) and returns its checked answer. */
  async request (plugin: string, method: string, params: unknown, deadlineMs: number, signal?: AbortSignal): Promise<unknown> {
    return await this.#sources.request(plugin, method, params, deadlineMs, signal)
  }

  /** The Plexi capability of plugin `plugin`'s active version, if it is up and declared one. */
  capability (plugin: string): PlexiCapability | undefined {
    return this.#sources.capability(plugin)
  }

  /** The plugins up here that declared a Plexi capability (the active version of each). */
  capabilities (): PluginHooks[] {
    const out: PluginHooks[] = []
    for (const e of this.#sources.all()) {
      const capability = e.supervisor.connection?.capability
      if (e.kind !== 'plugin' || capability === undefined || this.#sources.active(e.name) !== e) continue
      const beforePost = this.#plans.get(e)?.manifest?.beforePost
      out.push({ plugin: e.name, version: e.version, capability, ...(beforePost !== undefined && { beforePost }), ...(e.callDeadlineMs !== undefined && { callDeadlineMs: e.callDeadlineMs }) })
    }
    return out
  }

  /** The newest lines of a plugin's (or server's) stderr: of `version`, or its active one. */
  logs (name: string, version?: string): string[] {
    const entry = version === undefined ? this.#sources.active(name) : this.#sources.get(name, version)
    if (entry === undefined) throw new PluginNotFoundError(`no plugin or server ${name}${version === undefined ? '' : `@${version}`} runs on this node`)
    return entry.supervisor.logs()
  }

  /** Stops everything (calls in flight get PLUGIN_CLOSE_DRAIN_MS to finish) and the watchdog. */
  async close (): Promise<void> {
    this.#closed = true
    await this.#watchdog.stop()
    await Promise.all(this.#sources.all().map(async (e) => { await this.#stopEntry(e, PLUGIN_CLOSE_DRAIN_MS) }))
  }

  async #entry (kind: 'plugin' | 'server', name: string, version: string, callDeadlineMs: number | undefined, plan: LaunchPlan | undefined, reg?: McpServerRegistration): Promise<SourceEntry> {
    const { PluginProcess, httpIncarnation, SourceSupervisor } = await sourceRunners()
    const label = kind === 'plugin' ? `${name}@${version}` : `${name} (MCP server)`
    const launch = (): Incarnation => {
      if (plan !== undefined) {
        const process = new PluginProcess(plan, { ...(this.#opts.timings?.stopGraceMs !== undefined && { stopGraceMs: this.#opts.timings.stopGraceMs }) })
        return { transport: process, process }
      }
      return httpIncarnation(reg as McpServerRegistration)
    }
    const supervisor = new SourceSupervisor({
      source: { kind, name },
      label,
      launch,
      ...(plan !== undefined && { memoryBytes: plan.memoryBytes }),
      log: this.#opts.log,
      failures: this.#opts.failures,
      ...(this.#opts.timings !== undefined && { timings: this.#opts.timings }),
      ...(this.#opts.onChange !== undefined && { onChange: this.#opts.onChange })
    })
    return { kind, name, version, callDeadlineMs, supervisor }
  }

  async #startEntry (entry: SourceEntry): Promise<void> {
    this.#sources.add(entry)
    try {
      await entry.supervisor.start()
    } catch (err) {
      this.#sources.remove(entry)
      this.#plans.delete(entry)
      throw err
    }
  }

  async #stopEntry (entry: SourceEntry, drainMs?: number): Promise<void> {
    await entry.supervisor.stop(drainMs)
    this.#sources.remove(entry)
    this.#plans.delete(entry)
    this.#opts.onChange?.()
  }

  async #dataFolder (name: string): Promise<string> {
    if (!new RegExp(SOURCE_NAME_PATTERN).test(name)) throw new InvalidPluginRequestError(`name: expected ${SOURCE_NAME_PATTERN}`)
    const folder = join(this.#opts.dataDir, PLUGIN_DATA_DIR, name)
    await mkdir(folder, { recursive: true, mode: 0o700 })
    return await realpath(folder)
  }

  #sandboxEnv (): { execPath?: string, env?: NodeJS.ProcessEnv } {
    return { ...(this.#opts.execPath !== undefined && { execPath: this.#opts.execPath }), ...(this.#opts.env !== undefined && { env: this.#opts.env }) }
  }

  #report (e: SourceEntry): RunningSource {
    const conn = e.supervisor.connection
    const known = this.#plans.get(e)
    return {
      ...e.supervisor.stats,
      kind: e.kind,
      name: e.name,
      version: e.version,
      active: this.#sources.active(e.name) === e,
      tools: conn?.tools.map((t) => t.name) ?? [],
      capability: conn?.capability,
      offline: known?.plan?.offline ?? false,
      memoryMiB: known?.plan === undefined ? undefined : Math.round(known.plan.memoryBytes / 1024 / 1024),
      ...(known?.manifest !== undefined && { manifest: known.manifest })
    }
  }
}
