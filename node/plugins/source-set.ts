import { DEFAULT_TOOL_DEADLINE_MS, InvalidToolCallError } from '../../protocols/index.ts'
import type { PlexiCapability, ToolCall, ToolResult, ToolSpec } from '../../protocols/index.ts'
import { InvalidPluginRequestError, PluginFailedError, PluginNotFoundError, PluginProtocolError, PluginTimeoutError } from './errors.ts'
import { checkPlexiMethod } from './plexi-answer.ts'
import type { SourceSupervisor } from './source-supervisor.ts'
import { checkToolCall } from './tool-call-check.ts'

/** How a call into a source ended, as `plexi_plugin_calls_total{outcome}` counts it. */
export type CallOutcome = 'ok' | 'error' | 'timeout' | 'unavailable' | 'refused'

/** One running source: a plugin version or a registered server, with its supervisor. */
export interface SourceEntry {
  readonly kind: 'plugin' | 'server'
  readonly name: string
  /** A plugin's version; a server's is ''. */
  readonly version: string
  /** Its own deadline for calls (a manifest's callDeadlineMs, a registration's), if any. */
  readonly callDeadlineMs: number | undefined
  readonly supervisor: SourceSupervisor
}

/** A Plexi request's params, JSON-encoded, at most (a post's text is the largest part). */
const MAX_REQUEST_PARAMS_BYTES = 2 * 1024 * 1024

/**
 * The sources a host runs, by name: several versions of one plugin may run at once (a hot swap
 * starts the new one before the old one drains), and calls go to the newest one that is up (else
 * the newest, whose refusal says why). Routes tool calls and Plexi requests, each with its
 * deadline (the least of the caller's, the source's own and DEFAULT_TOOL_DEADLINE_MS), counts
 * every outcome, and has a source that timed out pinged at once (a hung one is killed).
 */
export class SourceSet {
  readonly #byName = new Map<string, SourceEntry[]>()
  readonly #calls = new Map<string, number>()
  readonly #onCall: ((source: string, outcome: CallOutcome, seconds: number) => void) | undefined

  constructor (onCall?: (source: string, outcome: CallOutcome, seconds: number) => void) {
    this.#onCall = onCall
  }

  /** Calls by source and outcome so far (`<source>\0<outcome>` → count). */
  get calls (): ReadonlyMap<string, number> { return this.#calls }

  has (name: string, version?: string): boolean {
    return (this.#byName.get(name) ?? []).some((e) => version === undefined || e.version === version)
  }

  get (name: string, version: string): SourceEntry | undefined {
    return this.#byName.get(name)?.find((e) => e.version === version)
  }

  add (entry: SourceEntry): void {
    this.#byName.set(entry.name, [...(this.#byName.get(entry.name) ?? []), entry])
  }

  remove (entry: SourceEntry): void {
    const left = (this.#byName.get(entry.name) ?? []).filter((e) => e !== entry)
    if (left.length === 0) this.#byName.delete(entry.name)
    else this.#byName.set(entry.name, left)
  }

  all (): SourceEntry[] {
    return [...this.#byName.values()].flat()
  }

  /** The entry calls for `name` go to now: the newest up, else the newest (undefined: none). */
  active (name: string): SourceEntry | undefined {
    const entries = this.#byName.get(name) ?? []
    return entries.findLast((e) => e.supervisor.state === 'up') ?? entries.at(-1)
  }

  /** The tools of every source's active entry that is up. */
  tools (): ToolSpec[] {
    const out: ToolSpec[] = []
    for (const name of this.#byName.keys()) {
      const conn = this.active(name)?.supervisor.connection
      if (conn !== undefined) out.push(...conn.tools)
    }
    return out
  }

  capability (name: string): PlexiCapability | undefined {
    return this.active(name)?.supervisor.connection?.capability
  }

  /** Calls a tool by its qualified name. Throws InvalidToolCallError for a malformed call or an
   * unknown tool, PluginNotFoundError for a source not here, and the source's unavailability or
   * timeout (PluginUnavailableError, PluginTimeoutError, PluginBusyError); a tool's own failure
   * is a ToolResult with isError. */
  async call (value: unknown, opts: { readonly deadlineMs?: number, readonly signal?: AbortSignal } = {}): Promise<ToolResult> {
    const call = checkToolCall(value)
    const entry = this.active(call.source)
    if (entry === undefined) throw new PluginNotFoundError(`no plugin or server ${call.source} runs on this node`)
    const conn = entry.supervisor.connection
    if (conn !== undefined && !conn.tools.some((t) => t.name === call.name)) throw new InvalidToolCallError(`${call.source} has no tool ${call.tool}`)
    const deadline = this.#deadline(entry, opts.deadlineMs)
    return await this.#counted(entry, async () => await entry.supervisor.use(async (c) => await c.callTool(call, call.tool, deadline, opts.signal)))
  }

  /** Sends a Plexi request (PLEXI_METHODS) to plugin `name` with a deadline; its answer checked. */
  async request (name: string, method: unknown, params: unknown, deadlineMs: number, signal?: AbortSignal): Promise<unknown> {
    const m = checkPlexiMethod(method)
    if (typeof params !== 'object' || params === null || Array.isArray(params)) throw new InvalidPluginRequestError('params: expected an object')
    if (Buffer.byteLength(JSON.stringify(params)) > MAX_REQUEST_PARAMS_BYTES) throw new InvalidPluginRequestError(`params: over ${MAX_REQUEST_PARAMS_BYTES} bytes`)
    if (!Number.isInteger(deadlineMs) || deadlineMs < 1) throw new InvalidPluginRequestError('deadlineMs: expected a positive integer')
    const entry = this.active(name)
    if (entry === undefined || entry.kind !== 'plugin') throw new PluginNotFoundError(`no plugin ${name} runs on this node`)
    return await this.#counted(entry, async () => await entry.supervisor.use(async (c) => await c.request(m, params as Record<string, unknown>, deadlineMs, signal)))
  }

  #deadline (entry: SourceEntry, asked: number | undefined): number {
    return Math.max(1, Math.min(asked ?? DEFAULT_TOOL_DEADLINE_MS, entry.callDeadlineMs ?? DEFAULT_TOOL_DEADLINE_MS, DEFAULT_TOOL_DEADLINE_MS))
  }

  async #counted<T> (entry: SourceEntry, fn: () => Promise<T>): Promise<T> {
    const started = performance.now()
    let outcome: CallOutcome = 'ok'
    try {
      const result = await fn()
      if ((result as Partial<ToolResult> | undefined)?.isError === true) outcome = 'error'
      return result
    } catch (err) {
      outcome = outcomeOf(err)
      if (err instanceof PluginTimeoutError) entry.supervisor.suspect()
      throw err
    } finally {
      const key = `${entry.name}\0${outcome}`
      this.#calls.set(key, (this.#calls.get(key) ?? 0) + 1)
      this.#onCall?.(entry.name, outcome, (performance.now() - started) / 1000)
    }
  }
}

function outcomeOf (err: unknown): CallOutcome {
  // the plugin answered, with an error or with something it may not answer
  if (err instanceof PluginFailedError || err instanceof PluginProtocolError) return 'error'
  switch ((err as { kind?: unknown }).kind) {
    case 'timeout': return 'timeout'
    case 'unavailable': return 'unavailable'
    default: return 'refused'
  }
}
