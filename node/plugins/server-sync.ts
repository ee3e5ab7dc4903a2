import { clip } from '../../protocols/index.ts'
import type { McpServerRegistration } from '../../protocols/index.ts'
import { PeriodicService } from '../services/index.ts'
import type { ServiceFailures, ServiceLog } from '../services/index.ts'
import { MAX_SERVER_ERROR, SERVER_RETRY_FIRST_MS, SERVER_RETRY_MAX_MS, SERVER_SYNC_MS } from './constants.ts'
import type { PluginHost } from './plugin-host.ts'

/** A registered server this member could not connect to, as `/plugins` tells the admin API. */
export interface ServerFailure {
  readonly name: string
  /** Why the last try failed (the host's error; secrets already replaced by `***`). */
  readonly error: string
  /** Tries failed in a row. */
  readonly streak: number
  /** When it is tried again (ms since the epoch). */
  readonly retryAt: number
}

export interface ServerSyncOptions {
  readonly host: PluginHost
  /** The registrations as the registry entity holds them now (McpServers.registrations). */
  readonly registrations: () => Promise<McpServerRegistration[]>
  /** Whether this node holds the plugins role now (it may change live). */
  readonly serves: () => boolean
  readonly failures: ServiceFailures
  readonly log: ServiceLog
  /** @default SERVER_SYNC_MS */
  readonly intervalMs?: number
}

/**
 * Keeps this member's connections to the registered MCP servers what the registry says, while
 * it holds the plugins role: a PeriodicService that, every SERVER_SYNC_MS, connects the servers it
 * lacks, reconnects those whose registration changed, and drops those removed (all of them when
 * the role is dropped). A server whose connection fails is tried again with a doubling wait
 * (SERVER_RETRY_FIRST_MS to SERVER_RETRY_MAX_MS), said once per streak.
 */
export class ServerSync {
  readonly #opts: ServerSyncOptions
  readonly #service: PeriodicService
  /** What each connected server was registered as (JSON), to see a change. */
  readonly #connected = new Map<string, string>()
  readonly #failing = new Map<string, { streak: number, next: number, registration: string, error: string }>()

  constructor (opts: ServerSyncOptions) {
    this.#opts = opts
    this.#service = new PeriodicService({ name: 'mcp-server-sync', run: async () => { await this.sync() }, intervalMs: opts.intervalMs ?? SERVER_SYNC_MS, failures: opts.failures, log: opts.log, runAtStart: true })
  }

  start (): void { this.#service.start() }

  async stop (): Promise<void> { await this.#service.stop() }

  /** The servers whose connection fails here now, by name (the admin API shows each member's). */
  failing (): ServerFailure[] {
    return [...this.#failing].map(([name, f]) => ({ name, error: f.error, streak: f.streak, retryAt: f.next })).sort((a, b) => (a.name < b.name ? -1 : 1))
  }

  /** One pass (what the service runs; a spec may run it directly). */
  async sync (): Promise<void> {
    const wanted = this.#opts.serves() ? await this.#opts.registrations() : []
    const byName = new Map(wanted.map((r) => [r.name, r]))
    for (const name of [...this.#connected.keys()]) {
      const r = byName.get(name)
      if (r === undefined || JSON.stringify(r) !== this.#connected.get(name)) await this.#drop(name, r === undefined ? 'it was removed' : 'its registration changed')
    }
    for (const [name, r] of byName) {
      if (!this.#connected.has(name)) await this.#connect(name, r)
    }
    for (const name of this.#failing.keys()) if (!byName.has(name)) this.#failing.delete(name)
  }

  async #connect (name: string, r: McpServerRegistration): Promise<void> {
    const json = JSON.stringify(r)
    const failing = this.#failing.get(name)
    if (failing !== undefined && failing.registration === json && Date.now() < failing.next) return
    try {
      await this.#opts.host.addServer(r)
      this.#connected.set(name, json)
      if (failing !== undefined) this.#opts.log.info({ server: name }, `MCP server ${name} is connected after ${failing.streak} failed tries`)
      this.#failing.delete(name)
    } catch (err) {
      const streak = failing?.registration === json ? failing.streak + 1 : 1
      const wait = Math.min(SERVER_RETRY_MAX_MS, SERVER_RETRY_FIRST_MS * 2 ** (streak - 1))
      this.#failing.set(name, { streak, next: Date.now() + wait, registration: json, error: clip((err as Error).message, MAX_SERVER_ERROR) })
      const say = streak === 1 ? this.#opts.log.warn.bind(this.#opts.log) : this.#opts.log.debug.bind(this.#opts.log)
      say({ server: name, streak }, `MCP server ${name} could not be connected: ${(err as Error).message}; trying again in ${wait} ms`)
    }
  }

  async #drop (name: string, why: string): Promise<void> {
    this.#connected.delete(name)
    // a server already gone from the host is what removing it wants
    await this.#opts.host.removeServer(name).catch(() => undefined)
    this.#opts.log.info({ server: name }, `MCP server ${name} disconnected: ${why}`)
  }
}
