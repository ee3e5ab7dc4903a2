import { LOG_LINES_PER_PLUGIN, MAX_LOG_LINE } from './constants.ts'

/** One line a plugin wrote on its stderr. */
export interface PluginLogLine {
  /** When this node read it (ms since the epoch). */
  readonly ts: number
  readonly version: string
  readonly line: string
}

/**
 * The last lines each plugin wrote on its stderr on this node (LOG_LINES_PER_PLUGIN per plugin,
 * each clipped to MAX_LOG_LINE characters): what `plexi admin plugins logs` shows. Bounded, so a
 * plugin that writes without end costs the node a fixed amount of memory.
 */
export class PluginLogs {
  readonly #lines = new Map<string, PluginLogLine[]>()
  readonly #now: () => number

  constructor (now: () => number = Date.now) {
    this.#now = now
  }

  add (name: string, version: string, line: string): void {
    let kept = this.#lines.get(name)
    if (kept === undefined) this.#lines.set(name, kept = [])
    kept.push({ ts: this.#now(), version, line: line.length > MAX_LOG_LINE ? `${line.slice(0, MAX_LOG_LINE)}…` : line })
    if (kept.length > LOG_LINES_PER_PLUGIN) kept.splice(0, kept.length - LOG_LINES_PER_PLUGIN)
  }

  /** The last `limit` lines of a plugin, oldest first. */
  tail (name: string, limit: number): PluginLogLine[] {
    const kept = this.#lines.get(name) ?? []
    return kept.slice(Math.max(0, kept.length - limit))
  }

  /** Forgets a plugin's lines (it was removed). */
  forget (name: string): void {
    this.#lines.delete(name)
  }

  /** The plugins with lines kept. */
  names (): string[] {
    return [...this.#lines.keys()]
  }
}
