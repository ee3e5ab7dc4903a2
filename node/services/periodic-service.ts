import { kindOf } from '../../protocols/index.ts'
import { SERVICE_BACKOFF_FIRST_MS, SERVICE_BACKOFF_MAX_MS, SERVICE_STOP_WAIT_MS } from './constants.ts'
import type { ServiceFailures } from './service-failures.ts'

/** What a service logs through (pino's shape). */
export interface ServiceLog {
  info (obj: object, msg: string): void
  warn (obj: object, msg: string): void
  debug (obj: object, msg: string): void
}

export interface PeriodicServiceOptions {
  /** The service's name in logs and in `plexi_service_failures_total{service}`. */
  readonly name: string
  /** One run. It is given a signal that aborts when the service stops; a run that throws or
   * rejects is a failure: counted, logged (once per streak of failures) and retried with backoff. */
  readonly run: (signal: AbortSignal) => Promise<unknown> | unknown
  /** The wait between the end of one run and the start of the next (read before each wait, so a
   * setting can change it). 0 or less: the service never runs by itself, only when triggered. */
  readonly intervalMs: number | (() => number)
  /** Where failures are counted; one per node, shared by every service. */
  readonly failures: ServiceFailures
  readonly log: ServiceLog
  /** Run once at start rather than one interval after it. @default false */
  readonly runAtStart?: boolean
  /** The first wait after a failed run (doubling for each further failure in a row, up to
   * `backoffMaxMs`, and never shorter than the interval). @default SERVICE_BACKOFF_FIRST_MS */
  readonly backoffFirstMs?: number
  /** @default SERVICE_BACKOFF_MAX_MS */
  readonly backoffMaxMs?: number
}

/**
 * A background loop of the node (anti-entropy, scrub, a hand-off, audits…) run as a supervised
 * child: one run at a time; the next one an interval after the last ended; a run that fails is
 * counted, logged once for its streak, and followed by a doubling backoff instead of the
 * interval; a success after failures says so. `trigger()` runs it now (joined if one is running);
 * `stop()` aborts the run in progress and waits for it (bounded). Timers are unref'd: a service
 * never keeps a process alive.
 */
export class PeriodicService {
  readonly name: string
  readonly #opts: PeriodicServiceOptions
  #timer: ReturnType<typeof setTimeout> | undefined
  #running: Promise<void> | undefined
  #abort = new AbortController()
  #started = false
  #stopped = false
  /** Failed runs in a row (0 after a success). */
  #streak = 0
  #runs = 0

  constructor (opts: PeriodicServiceOptions) {
    this.name = opts.name
    this.#opts = opts
  }

  /** Runs that ended, failed or not. */
  get runs (): number { return this.#runs }

  /** Failed runs in a row now (0 after a success). */
  get failingFor (): number { return this.#streak }

  /** Starts the loop (idempotent; a stopped service does not start again). */
  start (): void {
    if (this.#started || this.#stopped) return
    this.#started = true
    if (this.#opts.runAtStart === true) void this.trigger()
    else this.#schedule(this.#interval())
  }

  /** Runs once now, or joins the run in progress; resolves when it ended (never rejects: a
   * failure is the service's to count and log). A stopped service does not run. */
  trigger (): Promise<void> {
    if (this.#stopped) return Promise.resolve()
    this.#running ??= this.#runOnce().finally(() => {
      this.#running = undefined
      if (this.#started && !this.#stopped) this.#schedule(this.#streak > 0 ? this.#backoff() : this.#interval())
    })
    return this.#running
  }

  /** Stops the loop: no run starts after this; the one in progress is told (its signal aborts)
   * and waited for, at most SERVICE_STOP_WAIT_MS. Idempotent. */
  async stop (): Promise<void> {
    this.#stopped = true
    if (this.#timer !== undefined) clearTimeout(this.#timer)
    this.#timer = undefined
    this.#abort.abort()
    const running = this.#running
    if (running === undefined) return
    let timer: ReturnType<typeof setTimeout> | undefined
    const late = new Promise<void>((resolve) => { timer = setTimeout(resolve, SERVICE_STOP_WAIT_MS) })
    try {
      await Promise.race([running, late])
    } finally {
      clearTimeout(timer)
    }
  }

  async #runOnce (): Promise<void> {
    const { name, log, failures } = this.#opts
    try {
      await this.#opts.run(this.#abort.signal)
      if (this.#streak > 0) log.info({ service: name, failures: this.#streak }, `${name} ran again after ${this.#streak} failed run${this.#streak === 1 ? '' : 's'}`)
      this.#streak = 0
    } catch (err) {
      // a run cut short by stop() is not a failure of the service
      if (this.#stopped) return
      failures.add(name)
      this.#streak++
      const message = err instanceof Error ? err.message : String(err)
      // once per streak at warn, the rest at debug: a service failing every minute is one line; a
      // cluster without what it needs (a quorum lost, a peer down) is said without a stack
      const said = kindOf(err) === 'unavailable' ? { reason: message } : { err }
      if (this.#streak === 1) log.warn({ service: name, ...said }, `${name} failed: ${message}; trying again in ${this.#backoff()} ms (backing off while it fails)`)
      else log.debug({ service: name, ...said, failures: this.#streak }, `${name} failed again (${this.#streak} in a row): ${message}`)
    } finally {
      this.#runs++
    }
  }

  #schedule (ms: number): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer)
    this.#timer = undefined
    if (ms <= 0 || this.#stopped) return
    this.#timer = setTimeout(() => {
      this.#timer = undefined
      void this.trigger()
    }, ms)
    this.#timer.unref()
  }

  #interval (): number {
    const { intervalMs } = this.#opts
    return typeof intervalMs === 'function' ? intervalMs() : intervalMs
  }

  /** The wait after the current streak of failures: doubling, within [interval, backoffMaxMs]. */
  #backoff (): number {
    const first = this.#opts.backoffFirstMs ?? SERVICE_BACKOFF_FIRST_MS
    const max = this.#opts.backoffMaxMs ?? SERVICE_BACKOFF_MAX_MS
    const doubled = Math.min(max, first * 2 ** Math.max(0, this.#streak - 1))
    return Math.max(doubled, this.#interval())
  }
}
