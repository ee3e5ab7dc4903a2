import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js'
import type { ToolSource } from '../../protocols/index.ts'
import { PeriodicService } from '../services/index.ts'
import type { ServiceFailures, ServiceLog } from '../services/index.ts'
import { DEFAULT_SUPERVISOR_TIMINGS } from './supervisor-timings.ts'
import type { SupervisorTimings } from './supervisor-timings.ts'
import { MAX_PLUGIN_IN_FLIGHT } from './constants.ts'
import { PluginBusyError, PluginStartError, PluginUnavailableError } from './errors.ts'
import type { PluginProcess } from './plugin-process.ts'
import { treeRss } from './process-memory.ts'
import { SourceConnection } from './source-connection.ts'
import type { SourceLog } from './source-connection.ts'

export type SourceState = 'starting' | 'up' | 'restarting' | 'stopping' | 'stopped'
/** Why an incarnation ended: it exited by itself, answered no ping in time, went over its memory
 * cap, broke the stdio protocol, could not start, or was stopped. */
export type ExitReason = 'crash' | 'hang' | 'memory' | 'protocol' | 'start-failed' | 'stopped'

/** One incarnation's transport, and its process when it is one (a registered HTTP server has none). */
export interface Incarnation {
  readonly transport: Transport
  readonly process?: PluginProcess
}

export interface SourceSupervisorOptions {
  readonly source: ToolSource
  /** How logs and errors name it: `clock@1.2.0`, `server github`. */
  readonly label: string
  /** Makes a fresh incarnation (called for every start and restart). */
  readonly launch: () => Incarnation | Promise<Incarnation>
  /** Its process tree's RSS cap (none for an HTTP server). */
  readonly memoryBytes?: number
  readonly log: SourceLog & ServiceLog
  readonly failures: ServiceFailures
  readonly timings?: Partial<SupervisorTimings>
  /** It came up, went down or its tools changed. */
  readonly onChange?: () => void
}

export interface SourceStats {
  readonly state: SourceState
  readonly restarts: number
  readonly crashes: number
  readonly hangs: number
  readonly memoryKills: number
  readonly rssBytes: number
  readonly pid: number | undefined
  /** ms since the epoch when it came up last (0: never). */
  readonly upSince: number
  readonly lastExit: { readonly reason: ExitReason, readonly detail: string, readonly at: number } | undefined
}

interface Run {
  conn: SourceConnection | undefined
  readonly process: PluginProcess | undefined
  /** Rejects (PluginUnavailableError) when this incarnation ends: what waits on it fails at once. */
  readonly failed: Promise<never>
  readonly end: (reason: ExitReason, detail: string) => void
  ended: { reason: ExitReason, detail: string } | undefined
}

/**
 * One plugin version or registered server as a supervised child: a PeriodicService whose every run
 * is one incarnation (spawn or connect, `initialize`, tools listed, then up until it ends). A crash,
 * a hang (a ping or a call past its deadline and no ping answered: killed), a memory overrun
 * (killed) or a protocol breach ends the incarnation: its calls in flight fail at once with
 * PluginUnavailableError, and it starts again after a wait that doubles at each exit after a short
 * run (PLUGIN_RESTART_FIRST_MS to PLUGIN_RESTART_MAX_MS). Every wait is on a promise or a timer:
 * the node's event loop never waits on a plugin.
 */
export class SourceSupervisor {
  readonly #opts: SourceSupervisorOptions
  readonly #t: SupervisorTimings
  readonly #service: PeriodicService
  #state: SourceState = 'starting'
  #run: Run | undefined
  #inFlight = 0
  /** Resolves a stop's wait for the calls in flight to finish. */
  #drained: (() => void) | undefined
  #delay = 0
  #pinging = false
  #lastPing = 0
  #firstStart: { resolve: () => void, reject: (err: Error) => void } | undefined
  #stats = { restarts: 0, crashes: 0, hangs: 0, memoryKills: 0, rssBytes: 0, upSince: 0, lastExit: undefined as SourceStats['lastExit'] }
  #stderr: () => string[] = () => []

  constructor (opts: SourceSupervisorOptions) {
    this.#opts = opts
    this.#t = { ...DEFAULT_SUPERVISOR_TIMINGS, ...opts.timings }
    // the supervisor says every exit itself, with its reason: the service's own line is debug
    const quiet: ServiceLog = { info: (o, m) => { opts.log.info(o, m) }, warn: (o, m) => { opts.log.debug(o, m) }, debug: (o, m) => { opts.log.debug(o, m) } }
    this.#service = new PeriodicService({
      name: `plugin:${opts.source.name}`,
      run: async (signal) => { await this.#incarnation(signal) },
      intervalMs: () => this.#delay,
      failures: opts.failures,
      log: quiet,
      runAtStart: true,
      backoffFirstMs: 1,
      backoffMaxMs: 1
    })
  }

  get state (): SourceState { return this.#state }
  get label (): string { return this.#opts.label }
  get source (): ToolSource { return this.#opts.source }
  /** The connection while it is up. */
  get connection (): SourceConnection | undefined { return this.#state === 'up' ? this.#run?.conn : undefined }
  get inFlight (): number { return this.#inFlight }

  get stats (): SourceStats {
    return { ...this.#stats, state: this.#state, pid: this.#run?.process?.pid }
  }

  /** The newest lines of its stderr (of its current or last process). */
  logs (): string[] { return this.#stderr() }

  /** Starts supervising; resolves once it is up the first time. If that first start fails it
   * rejects with PluginStartError and nothing is left running. */
  start (): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.#firstStart = { resolve, reject }
      this.#service.start()
    })
  }

  /**
   * Stops it: no new calls; the calls in flight get up to `drainMs` to finish (a hot swap drains
   * the old version), then the incarnation is closed gracefully (stdin closed, SIGTERM, SIGKILL).
   */
  async stop (drainMs = this.#t.drainMs): Promise<void> {
    if (this.#state === 'stopped' || this.#state === 'stopping') return
    this.#state = 'stopping'
    this.#firstStart?.reject(new PluginStartError(`plugin ${this.#opts.label} was stopped before it started`))
    this.#firstStart = undefined
    if (this.#inFlight > 0) {
      let timer: ReturnType<typeof setTimeout> | undefined
      await new Promise<void>((resolve) => {
        this.#drained = resolve
        timer = setTimeout(resolve, drainMs)
      })
      clearTimeout(timer)
      this.#drained = undefined
    }
    await this.#service.stop()
    this.#run?.end('stopped', 'stopped')
    this.#state = 'stopped'
    this.#opts.onChange?.()
  }

  /** Runs `fn` on the connection while up; refused at once (PluginUnavailableError) when it is
   * not, or (PluginBusyError) when MAX_PLUGIN_IN_FLIGHT calls are in flight; fails at once when
   * the incarnation ends before `fn` settles. */
  async use<T> (fn: (conn: SourceConnection) => Promise<T>): Promise<T> {
    const run = this.#run
    const conn = this.connection
    if (run === undefined || conn === undefined) throw new PluginUnavailableError(this.#opts.label, this.#why())
    if (this.#inFlight >= MAX_PLUGIN_IN_FLIGHT) throw new PluginBusyError(`plugin ${this.#opts.label} has ${MAX_PLUGIN_IN_FLIGHT} calls in flight already`)
    this.#inFlight++
    try {
      return await Promise.race([fn(conn), run.failed])
    } finally {
      this.#inFlight--
      if (this.#inFlight === 0) this.#drained?.()
    }
  }

  /** A call timed out: the plugin may be hung, so it is pinged now (killed if it does not answer). */
  suspect (): void {
    this.#ping(0)
  }

  /** One watchdog pass: its memory read (killed over its cap) and a ping when one is due. */
  async watch (): Promise<void> {
    const run = this.#run
    if (this.#state !== 'up' || run === undefined) return
    this.#ping(this.#t.pingIntervalMs)
    const pid = run.process?.pid
    if (pid === undefined || this.#opts.memoryBytes === undefined) return
    const rss = await treeRss(pid)
    if (rss === undefined || run.ended !== undefined) return
    this.#stats.rssBytes = rss
    if (rss > this.#opts.memoryBytes) {
      const mib = (n: number): number => Math.round(n / 1024 / 1024)
      this.#kill(run, 'memory', `its memory (RSS of its processes) reached ${mib(rss)} MiB, over its cap of ${mib(this.#opts.memoryBytes)} MiB`)
    }
  }

  #ping (dueAfterMs: number): void {
    const run = this.#run
    const conn = run?.conn
    if (this.#state !== 'up' || run === undefined || conn === undefined || this.#pinging || Date.now() - this.#lastPing < dueAfterMs) return
    this.#pinging = true
    this.#lastPing = Date.now()
    const timeout = this.#t.pingTimeoutMs
    conn.ping(timeout).then(() => undefined, (err: unknown) => {
      if (run.ended === undefined) this.#kill(run, 'hang', `it answered no ping within ${timeout} ms (${(err as Error).message})`)
    }).finally(() => { this.#pinging = false })
  }

  #kill (run: Run, reason: ExitReason, detail: string): void {
    if (run.ended !== undefined) return
    run.end(reason, detail)
  }

  #why (): string {
    const exit = this.#stats.lastExit
    switch (this.#state) {
      case 'starting': return 'it is starting'
      case 'restarting': return `it is restarting after it ${exit === undefined ? 'ended' : describeExit(exit.reason)} (next start in about ${this.#delay} ms)`
      case 'stopping': return 'it is stopping'
      case 'stopped': return 'it was stopped'
      case 'up': return 'it is not connected'
    }
  }

  /** One incarnation, start to end; throws when it ended by itself (a failed run, counted). */
  async #incarnation (signal: AbortSignal): Promise<void> {
    if (signal.aborted || this.#state === 'stopping' || this.#state === 'stopped') return
    this.#state = this.#stats.upSince === 0 && this.#firstStart !== undefined ? 'starting' : 'restarting'
    const startedAt = Date.now()
    let incarnation: Incarnation
    try {
      incarnation = await this.#opts.launch()
    } catch (err) {
      const run = this.#newRun(undefined)
      this.#run = run
      run.end('start-failed', (err as Error).message)
      return await this.#ended(run, startedAt, signal)
    }
    const { transport, process } = incarnation
    if (process !== undefined) this.#stderr = () => process.stderr()
    const run = this.#newRun(process)
    this.#run = run
    const aborted = (): void => { run.end('stopped', 'stopped') }
    signal.addEventListener('abort', aborted, { once: true })
    try {
      const opened = await this.#open(transport, run, signal)
      if (opened === undefined) return await this.#ended(run, startedAt, signal)
      run.conn = opened
      this.#state = 'up'
      this.#stats.upSince = Date.now()
      this.#lastPing = Date.now()
      // its memory read once now, so that listings show it from the first answer, not the first watchdog pass
      await this.watch()
      this.#opts.log.info({ source: this.#opts.source.name, pid: process?.pid, tools: opened.tools.length }, `plugin ${this.#opts.label} is up (${opened.tools.length} tools${process?.pid === undefined ? '' : `, pid ${process.pid}`})`)
      this.#firstStart?.resolve()
      this.#firstStart = undefined
      this.#opts.onChange?.()
      // the run's end is read from the run itself by #ended: this only waits for it
      await run.failed.catch(() => undefined)
      return await this.#ended(run, startedAt, signal)
    } finally {
      signal.removeEventListener('abort', aborted)
    }
  }

  /** Opens the connection; undefined when the incarnation ended meanwhile. */
  async #open (transport: Transport, run: Run, signal: AbortSignal): Promise<SourceConnection | undefined> {
    try {
      return await Promise.race([SourceConnection.open(transport, {
        source: this.#opts.source,
        log: this.#opts.log,
        startTimeoutMs: this.#t.startTimeoutMs,
        signal,
        onToolsChanged: () => { this.#opts.onChange?.() }
      }), run.failed])
    } catch (err) {
      this.#kill(run, 'start-failed', (err as Error).message)
      return undefined
    }
  }

  /** Closes what is left of the incarnation, says how it ended, and decides the next wait. */
  async #ended (run: Run, startedAt: number, signal: AbortSignal): Promise<void> {
    const ended = run.ended ?? { reason: 'crash' as const, detail: 'it ended' }
    if (ended.reason === 'stopped' || signal.aborted) {
      // the SDK's close closes the transport: a process gets its stdin closed, SIGTERM, SIGKILL
      if (run.conn !== undefined) await run.conn.close().catch(() => undefined)
      await run.process?.close()
      return
    }
    run.process?.kill()
    // the process is killed above: a close that fails has nothing left to close
    run.conn?.close().catch(() => undefined)
    await run.process?.exited
    const stderr = run.process?.stderr().slice(-3).join(' | ') ?? ''
    this.#stats.lastExit = { reason: ended.reason, detail: ended.detail, at: Date.now() }
    if (ended.reason === 'crash') this.#stats.crashes++
    if (ended.reason === 'hang') this.#stats.hangs++
    if (ended.reason === 'memory') this.#stats.memoryKills++
    this.#stats.rssBytes = 0
    const first = this.#firstStart
    if (first !== undefined) {
      // a first start that fails leaves nothing running: the caller is told, not retried
      this.#firstStart = undefined
      this.#state = 'stopping'
      void this.#service.stop().then(() => { this.#state = 'stopped' })
      first.reject(new PluginStartError(`plugin ${this.#opts.label} did not start: ${ended.detail}${stderr === '' ? '' : ` (stderr: ${stderr})`}`))
      return
    }
    this.#stats.restarts++
    this.#delay = Date.now() - startedAt >= this.#t.stableMs || this.#delay === 0 ? this.#t.restartFirstMs : Math.min(this.#t.restartMaxMs, this.#delay * 2)
    this.#state = 'restarting'
    this.#opts.log.warn({ source: this.#opts.source.name, reason: ended.reason, restarts: this.#stats.restarts, delayMs: this.#delay },
      `plugin ${this.#opts.label} ${describeExit(ended.reason)}: ${ended.detail}${stderr === '' ? '' : ` (stderr: ${stderr})`}; its calls in flight failed; starting it again in ${this.#delay} ms`)
    this.#opts.onChange?.()
    throw new PluginUnavailableError(this.#opts.label, `it ${describeExit(ended.reason)}: ${ended.detail}`)
  }

  #newRun (process: PluginProcess | undefined): Run {
    let reject!: (err: Error) => void
    const failed = new Promise<never>((_resolve, rej) => { reject = rej })
    // rejected when the run ends: calls race it (use) and the run waits on it; this handler keeps
    // a run that no call raced from an unhandled rejection
    failed.catch(() => undefined)
    const run: Run = {
      conn: undefined,
      process,
      failed,
      ended: undefined,
      end: (reason, detail) => {
        if (run.ended !== undefined) return
        run.ended = { reason, detail }
        // a stop closes it gracefully (#ended); anything else is killed now
        if (reason !== 'stopped') process?.kill()
        reject(new PluginUnavailableError(this.#opts.label, reason === 'stopped' ? 'it was stopped' : `it ${describeExit(reason)}: ${detail}`))
      }
    }
    void process?.exited.then((exit) => {
      const how = `it exited (${exit.signal === null ? `code ${exit.code ?? '?'}` : `signal ${exit.signal}`})`
      if (process.broken !== undefined) run.end('protocol', process.broken)
      // V8 ends a process whose heap reached --max-old-space-size with this on stderr
      else if (process.stderr().slice(-20).some((l) => /heap out of memory|Allocation failed/.test(l))) run.end('memory', `${how}: its heap reached its memory cap`)
      else run.end('crash', how)
    })
    return run
  }
}

function describeExit (reason: ExitReason): string {
  switch (reason) {
    case 'crash': return 'crashed'
    case 'hang': return 'hung'
    case 'memory': return 'went over its memory cap'
    case 'protocol': return 'broke the MCP stdio protocol'
    case 'start-failed': return 'failed to start'
    case 'stopped': return 'was stopped'
  }
}
