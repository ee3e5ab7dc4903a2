import { MAX_TRACKED_SOURCES, RECENT_CALLS } from './constants.ts'

/** A plugin's calls on this node, as `ls` shows them. */
export interface CallStats {
  readonly calls: number
  /** Calls that did not end `ok` (the tool failed, timed out, or its plugin was down or refused it). */
  readonly errors: number
  /** Mean latency of its last RECENT_CALLS calls (ms); null before any. */
  readonly latencyMs: number | null
}

interface Kept {
  calls: number
  errors: number
  readonly recent: number[]
  next: number
}

/**
 * Each plugin's calls on this node, fed by the host as each call ends (PluginHost's `onCall`, which
 * also feeds the plugin metrics' histogram): counts since the node started and the mean of the
 * recent latencies. Bounded: RECENT_CALLS latencies per source, MAX_TRACKED_SOURCES sources (the
 * least recently called forgotten first).
 */
export class PluginCallStats {
  readonly #sources = new Map<string, Kept>()

  /** One call of `source` ended with `outcome` after `seconds`. */
  observe (source: string, outcome: string, seconds: number): void {
    let kept = this.#sources.get(source)
    if (kept === undefined) kept = { calls: 0, errors: 0, recent: [], next: 0 }
    this.#sources.delete(source)
    this.#sources.set(source, kept)
    if (this.#sources.size > MAX_TRACKED_SOURCES) this.#sources.delete(this.#sources.keys().next().value as string)
    kept.calls++
    if (outcome !== 'ok') kept.errors++
    const ms = Number.isFinite(seconds) && seconds >= 0 ? seconds * 1_000 : 0
    if (kept.recent.length < RECENT_CALLS) kept.recent.push(ms)
    else kept.recent[kept.next] = ms
    kept.next = (kept.next + 1) % RECENT_CALLS
  }

  /** A source's calls so far (zeros for one never called). */
  of (source: string): CallStats {
    const kept = this.#sources.get(source)
    if (kept === undefined || kept.calls === 0) return { calls: 0, errors: 0, latencyMs: null }
    return { calls: kept.calls, errors: kept.errors, latencyMs: kept.recent.reduce((a, b) => a + b, 0) / kept.recent.length }
  }
}
