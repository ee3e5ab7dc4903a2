import { MAX_REPORT_ERROR } from '../../actors/index.ts'
import type { MemberPluginState, MemberReport, PluginEntry, PluginVersion } from '../../actors/index.ts'
import { clip, describe } from '../../protocols/index.ts'
import { PeriodicService } from '../services/index.ts'
import type { ServiceFailures, ServiceLog } from '../services/index.ts'
import type { CatalogClient } from './catalog-client.ts'
import { RECONCILE_INTERVAL_MS, START_RETRY_FIRST_MS, START_RETRY_MAX_MS } from './constants.ts'
import type { HostedRun, HostedState, PluginHostPort } from './host-port.ts'
import type { PackageFiles } from './package-files.ts'
import { readPackage } from './package-reader.ts'
import type { PackageStore } from './package-store.ts'

export interface PluginReconcilerOptions {
  /** This node's peer id: the name its reports go under. */
  readonly self: string
  readonly host: PluginHostPort
  readonly catalog: Pick<CatalogClient, 'list' | 'report'>
  readonly packages: Pick<PackageStore, 'fetch'>
  readonly files: PackageFiles
  /** Whether this node holds the plugins role now: a member that lost it stops its plugins. */
  readonly holdsRole: () => boolean
  readonly failures: ServiceFailures
  readonly log: ServiceLog
  /** @default RECONCILE_INTERVAL_MS */
  readonly intervalMs?: number
  /** @default Date.now */
  readonly now?: () => number
}

/** A version that failed to start here, and when it is tried again. */
export interface StartFailure {
  readonly name: string
  readonly version: string
  readonly error: string
  readonly attempts: number
  readonly retryAt: number
}

/** What the reconciler did, in all (plexi_plugin_* metrics). */
export interface ReconcilerStats {
  passes: number
  starts: number
  failedStarts: number
  stops: number
  /** Versions replaced by another once it was up (upgrades and rollbacks). */
  swaps: number
}

const STATE_OF: Readonly<Record<HostedState, MemberPluginState>> = { starting: 'starting', up: 'running', restarting: 'restarting', stopping: 'stopped', stopped: 'failed' }

/** Whether a version is running, or on its way (a version being stopped, or that ended, is not). */
const live = (r: HostedRun): boolean => r.state !== 'stopping' && r.state !== 'stopped'

/**
 * Runs on every plugins-role member: makes what the plugin host runs here match the catalog, every
 * RECONCILE_INTERVAL_MS and at once when told of a change (`changed`). For each enabled plugin it
 * runs the active version: fetches its package (checked against its digest), unpacks it under
 * `<data-dir>/plugins/<name>/<version>/` and starts it through the host; a version that replaces
 * another (an upgrade, a rollback) starts beside it, and only once it is up is the old one
 * stopped (the host drains it), so no call finds the plugin down. Disabled and removed plugins are
 * stopped, and folders no version in the catalog names are removed. A version that fails to start
 * is tried again with a doubling wait, while the version before it, if any, keeps serving. What
 * each plugin does here is reported to the catalog when it changed.
 */
export class PluginReconciler {
  readonly stats: ReconcilerStats = { passes: 0, starts: 0, failedStarts: 0, stops: 0, swaps: 0 }
  readonly #opts: PluginReconcilerOptions
  readonly #service: PeriodicService
  readonly #failed = new Map<string, StartFailure>()
  #dirty = false

  constructor (opts: PluginReconcilerOptions) {
    this.#opts = opts
    this.#service = new PeriodicService({
      name: 'plugin-reconciler',
      run: async (signal) => {
        do {
          this.#dirty = false
          await this.#pass(signal)
        } while (this.#dirty && !signal.aborted)
      },
      intervalMs: opts.intervalMs ?? RECONCILE_INTERVAL_MS,
      failures: opts.failures,
      log: opts.log,
      runAtStart: true
    })
  }

  start (): void {
    this.#service.start()
  }

  /** The catalog changed: compare again now (a pass in progress runs once more). */
  changed (): void {
    this.#dirty = true
    void this.#service.trigger()
  }

  /** Runs a pass now, or joins the one in progress (which then runs once more); resolves once
   * it ended. */
  async reconcile (): Promise<void> {
    this.#dirty = true
    await this.#service.trigger()
  }

  /** Stops the loop (the plugins keep running: the host stops them with the node). */
  async stop (): Promise<void> {
    await this.#service.stop()
  }

  /** The versions that failed to start here, and when each is tried again. */
  failures (): StartFailure[] {
    return [...this.#failed.values()]
  }

  async #pass (signal: AbortSignal): Promise<void> {
    const { catalog, host, holdsRole } = this.#opts
    const view = await catalog.list(signal)
    const entries = new Map(view.plugins.map((p) => [p.name, p]))
    const role = holdsRole()
    const running = byName(host.running())
    const names = new Set([...entries.keys(), ...running.keys()])
    await Promise.all([...names].map(async (name) => {
      const entry = entries.get(name)
      const want = role && entry?.enabled === true ? entry.versions[entry.active] : undefined
      await this.#one(name, want, running.get(name) ?? [], signal)
      if (role && entry !== undefined && !signal.aborted) await this.#report(entry, want, signal)
    }))
    if (!signal.aborted) await this.#sweep(entries)
    this.stats.passes++
  }

  /** Makes plugin `name` run `want` here (nothing when undefined). */
  async #one (name: string, want: PluginVersion | undefined, running: readonly HostedRun[], signal: AbortSignal): Promise<void> {
    if (want !== undefined) {
      const current = running.find((r) => r.version === want.version)
      if (current?.state === 'stopped') {
        // its process ended and the host gave up on it: stopped, and started again after its wait
        this.#noteFailure(name, want.version, current.lastExit === undefined ? 'its process ended' : `${current.lastExit.reason}: ${current.lastExit.detail}`)
        await this.#stopVersion(name, want.version)
      }
      const up = current !== undefined && live(current)
      if (!up && !await this.#startVersion(name, want, signal)) return
      const others = running.filter((r) => r.version !== want.version)
      for (const r of others) await this.#stopVersion(name, r.version)
      if (!up && others.length > 0) this.stats.swaps++
      return
    }
    for (const r of running) await this.#stopVersion(name, r.version)
    this.#forgetFailures(name)
  }

  /** Fetches, unpacks and starts a version; false when it failed (noted, tried again later) or
   * waits out an earlier failure. */
  async #startVersion (name: string, v: PluginVersion, signal: AbortSignal): Promise<boolean> {
    const { files, packages, host, log } = this.#opts
    const failed = this.#failed.get(key(name, v.version))
    if (failed !== undefined && this.#now() < failed.retryAt) return false
    try {
      let dir: string
      if (await files.has(name, v.version, v.digest)) {
        dir = files.dirOf(name, v.version)
      } else {
        const bytes = await packages.fetch(v.digest, v.size, signal)
        dir = await files.unpack(name, v.version, v.digest, readPackage(bytes))
      }
      await host.start({ name, version: v.version, dir, manifest: v.manifest })
      this.#failed.delete(key(name, v.version))
      this.stats.starts++
      log.info({ plugin: name, version: v.version }, `plugin ${name} ${v.version} started here`)
      return true
    } catch (err) {
      if (signal.aborted) throw err
      this.stats.failedStarts++
      const noted = this.#noteFailure(name, v.version, describe(err))
      const say = noted.attempts === 1 ? log.warn.bind(log) : log.debug.bind(log)
      say({ plugin: name, version: v.version, err }, `plugin ${name} ${v.version} could not start here: ${describe(err)}; trying again in ${noted.retryAt - this.#now()} ms`)
      return false
    }
  }

  async #stopVersion (name: string, version: string): Promise<void> {
    await this.#opts.host.stop(name, version)
    this.stats.stops++
    this.#opts.log.info({ plugin: name, version }, `plugin ${name} ${version} stopped here`)
  }

  #noteFailure (name: string, version: string, error: string): StartFailure {
    const attempts = (this.#failed.get(key(name, version))?.attempts ?? 0) + 1
    const wait = Math.min(START_RETRY_MAX_MS, START_RETRY_FIRST_MS * 2 ** (attempts - 1))
    const noted = { name, version, error: clip(error, MAX_REPORT_ERROR), attempts, retryAt: this.#now() + wait }
    this.#failed.set(key(name, version), noted)
    return noted
  }

  #forgetFailures (name: string): void {
    for (const [k, f] of this.#failed) if (f.name === name) this.#failed.delete(k)
  }

  /** Tells the catalog what the plugin does here, when that is not what it says already. */
  async #report (entry: PluginEntry, want: PluginVersion | undefined, signal: AbortSignal): Promise<void> {
    const { self, host, catalog } = this.#opts
    const versions = host.running().filter((r) => r.name === entry.name)
    const serving = want === undefined ? undefined : versions.find((r) => r.version === want.version && live(r))
    const failure = want === undefined ? undefined : this.#failed.get(key(entry.name, want.version))
    let report: Omit<MemberReport, 'at'>
    if (want === undefined) {
      report = { version: null, state: versions.some(live) ? 'running' : 'stopped', restarts: 0, error: null }
    } else if (serving === undefined) {
      // the version before may still serve while this one fails to start
      const before = versions.find((r) => r.state === 'up')?.version ?? null
      report = failure === undefined ? { version: before, state: 'starting', restarts: 0, error: null } : { version: before, state: 'failed', restarts: 0, error: failure.error }
    } else {
      const state = STATE_OF[serving.state]
      const exit = serving.lastExit
      report = { version: serving.version, state, restarts: serving.restarts, error: state === 'running' || exit === undefined ? null : clip(`${exit.reason}: ${exit.detail}`, MAX_REPORT_ERROR) }
    }
    const said = Object.hasOwn(entry.members, self) ? entry.members[self] : undefined
    if (said !== undefined && said.version === report.version && said.state === report.state && said.restarts === report.restarts && said.error === report.error) return
    await catalog.report(entry.name, self, report, signal)
  }

  /** Removes the folders of plugins and versions the catalog no longer has (and unpackings a
   * crash left), unless a version of them still runs here. */
  async #sweep (entries: ReadonlyMap<string, PluginEntry>): Promise<void> {
    const { files, host } = this.#opts
    const running = byName(host.running())
    for (const [name, versions] of await files.list()) {
      const entry = entries.get(name)
      const runs = new Set((running.get(name) ?? []).map((r) => r.version))
      if (entry === undefined) {
        if (runs.size === 0) await files.removePlugin(name)
        continue
      }
      for (const v of versions) if (!Object.hasOwn(entry.versions, v) && !runs.has(v)) await files.removeVersion(name, v)
    }
  }

  #now (): number {
    return (this.#opts.now ?? Date.now)()
  }
}

function key (name: string, version: string): string {
  return `${name}@${version}`
}

function byName (statuses: readonly HostedRun[]): Map<string, HostedRun[]> {
  const map = new Map<string, HostedRun[]>()
  for (const s of statuses) map.set(s.name, [...(map.get(s.name) ?? []), s])
  return map
}
