import type { LlamaContextSequence } from 'node-llama-cpp'
import { errorData } from '../../protocols/index.ts'
import { InferenceUnavailableError } from '../errors.ts'
import type { CacheUse } from '../runtime.ts'
import { checkKvState, removeKvState, writeKvState } from './kv-state-file.ts'
import type { LlamaTaskResult, LlamaWorkerData, SavedKvState } from './llama-protocol.ts'

/** A sequence of the worker's context and whose conversation its KV cache holds. */
export interface CacheSlot {
  readonly sequence: LlamaContextSequence
  /** The cache key of the conversation in it; undefined: none worth keeping. */
  key: string | undefined
  /** Order of last use, for LRU eviction (0: never used). */
  usedAt: number
  busy: boolean
}

/** How a request got its slot, for GenerateResult.cache. */
export interface Taken {
  readonly slot: CacheSlot
  readonly source: CacheUse['source']
  readonly restoredBytes: number
  readonly restoreFailure?: string
  /** Caches saved to make room (an eviction). */
  readonly saved: SavedKvState[]
  /** The saved state this request read or refused (and removed). */
  readonly read?: { readonly cacheKey: string, readonly removed: boolean }
}

export interface ContextSlotsOptions {
  /** Where caches are saved and what a saved one must match; none: kept in memory only. */
  readonly kvState: LlamaWorkerData['kvState']
  /** The llama.cpp build, which a saved state must name. */
  readonly build: string
  /** Tokens a sequence holds: a saved state must hold fewer. */
  readonly contextSize: number
}

/**
 * The sequences of a worker's llama context, each holding the KV cache of the conversation it ran
 * last (a sequence's cells are its own: saving, restoring or clearing one leaves the others as
 * they are): a request takes the one holding its conversation, else the least recently used,
 * whose conversation is saved to disk first (when saving is on); the conversation's saved state is
 * loaded into it when there is one that may be. Piscina runs at most `contexts` tasks at once in a
 * thread, and there are at least as many slots, so one is always free.
 */
export class ContextSlots {
  readonly #slots: CacheSlot[]
  readonly #kvState: LlamaWorkerData['kvState']
  readonly #build: string
  readonly #contextSize: number
  #uses = 0

  constructor (sequences: readonly LlamaContextSequence[], options: ContextSlotsOptions) {
    this.#slots = sequences.map((sequence) => ({ sequence, key: undefined, usedAt: 0, busy: false }))
    this.#kvState = options.kvState
    this.#build = options.build
    this.#contextSize = options.contextSize
  }

  /** A free slot for a request of `key` (none: no conversation to keep); `preferSaved`: a newer
   * state of it arrived on disk, to be restored rather than the copy in memory used. */
  async take (key: string | undefined, preferSaved: boolean): Promise<Taken> {
    const free = this.#slots.filter((s) => !s.busy)
    const own = key === undefined ? undefined : free.find((s) => s.key === key)
    if (own !== undefined && !preferSaved) {
      own.busy = true
      return { slot: own, source: 'memory', restoredBytes: 0, saved: [] }
    }
    // the copy in memory is older than the state that arrived: its context is taken, unsaved;
    // else one that holds no conversation, else the least recently used conversation's
    if (own !== undefined) own.key = undefined
    const slot = own ?? free.sort((a, b) => (a.key === undefined ? 0 : 1) - (b.key === undefined ? 0 : 1) || a.usedAt - b.usedAt)[0]
    if (slot === undefined) throw new InferenceUnavailableError('no free llama context sequence in this worker (more requests than sequences)')
    slot.busy = true
    const saved: SavedKvState[] = []
    try {
      const evicted = slot.key
      slot.key = undefined
      if (evicted !== undefined) {
        // an eviction that cannot be saved only costs that conversation its next prompt's evaluation
        const state = await this.#save(slot, evicted).catch(() => undefined)
        if (state !== undefined) saved.push(state)
      }
      if (key === undefined || this.#kvState === undefined) return { slot, source: 'miss', restoredBytes: 0, saved }
      const restored = await this.#restore(slot, key, this.#kvState)
      return { slot, saved, ...restored }
    } catch (err) {
      slot.busy = false
      throw err
    }
  }

  /** The request in `slot` ended: the slot is free, and the most recently used. */
  release (slot: CacheSlot): void {
    slot.usedAt = ++this.#uses
    slot.busy = false
  }

  /** What the context holds is unknown after a failure: keep nothing of it. */
  async forget (slot: CacheSlot): Promise<void> {
    slot.key = undefined
    // a history that cannot be cleared is overwritten by the next request, which reuses nothing
    await slot.sequence.clearHistory().catch(() => {})
  }

  /** Saves the KV caches asked for (all, when `keys` is absent) that are held in a free slot. */
  async saveCaches (keys: readonly string[] | undefined): Promise<LlamaTaskResult> {
    const wanted = keys === undefined ? undefined : new Set(keys)
    const saved: SavedKvState[] = []
    const failures: string[] = []
    for (const slot of this.#slots) {
      const key = slot.key
      if (slot.busy || key === undefined || (wanted !== undefined && !wanted.has(key))) continue
      slot.busy = true
      try {
        const state = await this.#save(slot, key)
        if (state !== undefined) saved.push(state)
      } catch (err) {
        failures.push(`${key.slice(0, 100)}: ${errorData(err).message}`)
      } finally {
        slot.busy = false
      }
    }
    return { type: 'caches-saved', saved, failures }
  }

  async #save (slot: CacheSlot, key: string): Promise<SavedKvState | undefined> {
    const tokens = slot.sequence.nextTokenIndex
    if (this.#kvState === undefined || tokens === 0) return undefined
    const identity = { modelSha256: this.#kvState.modelSha256, build: this.#build }
    const meta = await writeKvState(this.#kvState.dir, key, identity, tokens, async (path) => { await slot.sequence.saveStateToFile(path) })
    return { cacheKey: key, bytes: meta.bytes, tokens }
  }

  /** Loads the conversation's saved state into the slot, only once it is checked to be this
   * model's and this build's and whole; anything else leaves the slot empty. */
  async #restore (slot: CacheSlot, key: string, kvState: NonNullable<LlamaWorkerData['kvState']>): Promise<Omit<Taken, 'slot' | 'saved'>> {
    const dir = kvState.dir
    const check = await checkKvState(dir, key, { modelSha256: kvState.modelSha256, build: this.#build }, this.#contextSize)
      .catch((err: unknown) => ({ ok: false as const, reason: `it could not be read: ${errorData(err).message}` }))
    if (!check.ok) {
      if (check.reason === undefined) return { source: 'miss', restoredBytes: 0 }
      // a refused state that cannot be removed is refused again next time: only slower
      await removeKvState(dir, key).catch(() => {})
      return { source: 'miss', restoredBytes: 0, restoreFailure: check.reason, read: { cacheKey: key, removed: true } }
    }
    try {
      await slot.sequence.loadStateFromFile(check.path, { acceptRisk: true })
      if (slot.sequence.nextTokenIndex !== check.meta.tokens) throw new Error(`it held ${slot.sequence.nextTokenIndex} tokens, ${check.meta.tokens} were saved`)
      return { source: 'disk', restoredBytes: check.meta.bytes, read: { cacheKey: key, removed: false } }
    } catch (err) {
      // the slot is left empty either way: a history that cannot be cleared is overwritten by the
      // next request (which reuses nothing of it), a state that cannot be removed is refused again
      await slot.sequence.clearHistory().catch(() => {})
      await removeKvState(dir, key).catch(() => {})
      return { source: 'miss', restoredBytes: 0, restoreFailure: `llama.cpp refused it: ${errorData(err).message}`, read: { cacheKey: key, removed: true } }
    }
  }
}
