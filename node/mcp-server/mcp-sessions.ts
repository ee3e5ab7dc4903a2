import { randomUUID } from 'node:crypto'
import { PeriodicService } from '../services/index.ts'
import type { ServiceFailures, ServiceLog } from '../services/index.ts'
import { MAX_SESSIONS, MAX_SESSIONS_PER_USER, MAX_SESSION_ID_CHARS, SESSION_IDLE_MS, SESSION_SWEEP_MS } from './constants.ts'
import { McpSessionLimitError } from './errors.ts'
import type { McpBackend } from './mcp-backend.ts'
import type { McpMetrics } from './mcp-metrics.ts'
import { McpSession } from './mcp-session.ts'

export interface McpSessionsOptions {
  readonly backend: McpBackend
  readonly metrics: McpMetrics
  /** Where tool failures and the sweep's are written. */
  readonly log: ServiceLog
  /** The node's service failures (the sweep is a PeriodicService). */
  readonly failures: ServiceFailures
  /** @default MAX_SESSIONS */
  readonly maxSessions?: number
  /** @default MAX_SESSIONS_PER_USER */
  readonly maxPerUser?: number
  /** @default SESSION_IDLE_MS */
  readonly idleMs?: number
  /** @default SESSION_SWEEP_MS */
  readonly sweepMs?: number
}

/**
 * The endpoint's sessions on this node, by id, each bound to the user who opened it: a request
 * reaches a session only with its id and a token of its user (anything else is "no such
 * session"). A user holds at most `maxPerUser` (their least recently used idle one is closed for
 * a new one), the node at most `maxSessions`; a sweep closes the ones idle for `idleMs`.
 */
export class McpSessions {
  readonly #opts: McpSessionsOptions
  readonly #sessions = new Map<string, McpSession>()
  readonly #sweep: PeriodicService
  #closing = false

  constructor (opts: McpSessionsOptions) {
    this.#opts = opts
    this.#sweep = new PeriodicService({
      name: 'mcp-session-sweep',
      run: async () => { await this.sweep() },
      intervalMs: opts.sweepMs ?? SESSION_SWEEP_MS,
      failures: opts.failures,
      log: opts.log
    })
  }

  /** Sessions open now (initialized, not closed). */
  get size (): number {
    return this.#sessions.size
  }

  /** Starts the sweep of idle sessions. */
  start (): void {
    this.#sweep.start()
  }

  /**
   * A new session for `user`, started but not yet initialized: it joins the open ones once its
   * `initialize` is answered (until then it is its one request's alone). McpSessionLimitError
   * when the node holds all it may, or all of the user's are busy.
   */
  async open (user: string): Promise<McpSession> {
    if (this.#closing) throw new McpSessionLimitError('the endpoint is closing; retry on another node or later')
    await this.#makeRoom(user)
    const session = new McpSession({
      id: randomUUID(),
      user,
      backend: this.#opts.backend,
      metrics: this.#opts.metrics,
      log: this.#opts.log,
      onInitialized: (s) => {
        this.#sessions.set(s.id, s)
        this.#opts.metrics.sessionOpened()
      },
      onDeleted: (s) => { void this.#end(s, 'deleted') }
    })
    await session.start()
    return session
  }

  /** The session `id` of `user`, or undefined (no such id, another user's, or closed). */
  get (id: string, user: string): McpSession | undefined {
    if (id.length > MAX_SESSION_ID_CHARS) return undefined
    const session = this.#sessions.get(id)
    return session !== undefined && session.user === user && !session.closed ? session : undefined
  }

  /** Closes every session idle for longer than `idleMs` (none busy). */
  async sweep (now = performance.now()): Promise<number> {
    const idleMs = this.#opts.idleMs ?? SESSION_IDLE_MS
    const stale = [...this.#sessions.values()].filter((s) => !s.busy && now - s.lastSeen > idleMs)
    await Promise.all(stale.map(async (s) => { await this.#end(s, 'expired') }))
    return stale.length
  }

  /** Stops the sweep and closes every session (their requests in flight are cancelled). */
  async close (): Promise<void> {
    this.#closing = true
    await this.#sweep.stop()
    await Promise.all([...this.#sessions.values()].map(async (s) => { await this.#end(s, 'closed') }))
  }

  /** Closes the user's least recently used idle session when they hold all they may; refuses
   * when all of theirs are busy or the node holds all it may. */
  async #makeRoom (user: string): Promise<void> {
    const maxPerUser = this.#opts.maxPerUser ?? MAX_SESSIONS_PER_USER
    const mine = [...this.#sessions.values()].filter((s) => s.user === user)
    if (mine.length >= maxPerUser) {
      const idle = mine.filter((s) => !s.busy).sort((a, b) => a.lastSeen - b.lastSeen)[0]
      if (idle === undefined) throw new McpSessionLimitError(`${user} holds ${mine.length} MCP sessions on this node, all busy: end one (DELETE) or wait`)
      await this.#end(idle, 'evicted')
    }
    const max = this.#opts.maxSessions ?? MAX_SESSIONS
    if (this.#sessions.size >= max) throw new McpSessionLimitError(`this node holds ${this.#sessions.size} MCP sessions, all it may; retry shortly`)
  }

  async #end (session: McpSession, why: 'deleted' | 'expired' | 'evicted' | 'closed'): Promise<void> {
    if (this.#sessions.get(session.id) === session) this.#sessions.delete(session.id)
    await session.close(why)
  }
}
