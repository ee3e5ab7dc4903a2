import { InferenceQueueFullError, InferenceUnavailableError, ModelMemoryError, UnknownModelError } from './errors.ts'
import type { ModelEntry, ModelRegistry } from './model-registry.ts'
import { POSITION_UPDATES_MAX_QUEUE } from './constants.ts'
import { FairQueue } from './fair-queue.ts'
import type { GenerateRequest, GenerateResult, Runtime, RuntimeInfo, TokenSink } from './runtime.ts'

export interface ModelManagerOptions {
  readonly registry: ModelRegistry
  /** Makes the runtime for a ready registry entry (llama.cpp or OpenAI HTTP); not yet loaded. */
  readonly createRuntime: (entry: ModelEntry) => Runtime
  /** Bytes all loaded models may hold together (RuntimeInfo.memoryBytes); least recently used
   * idle models are unloaded to make room. */
  readonly memoryBudgetBytes: number
  /** Requests that may wait for a slot, per model; beyond it InferenceQueueFullError. */
  readonly maxQueue: number
  readonly log?: { info (obj: object, msg: string): void, warn (obj: object, msg: string): void }
  /** Called when a request has finished (any stop reason), for metrics. */
  readonly onResult?: (model: string, result: GenerateResult) => void
  /** Called when the set of loaded models changed (one finished loading, or was unloaded). */
  readonly onLoadedChanged?: () => void
}

export interface GenerateOptions {
  readonly signal?: AbortSignal
  /** Who asks: waiting requests are served round-robin between users, so that one user's many
   * requests cannot starve the others. @default '' */
  readonly user?: string
  /** Called when the request has to wait, with its place in the queue (1 = next), and again
   * each time that place changes. */
  readonly onQueued?: (position: number) => void
}

export interface LoadedModel extends RuntimeInfo {
  /** Requests running now. */
  readonly active: number
  /** Requests waiting for a slot. */
  readonly queued: number
  /** ms since the epoch of the last request's start (or of the load). */
  readonly lastUsedAt: number
}

interface Waiter {
  readonly start: () => void
  readonly fail: (err: Error) => void
  /** The place last told to the request (1 = next). */
  position: number
  readonly onQueued: ((position: number) => void) | undefined
}

interface Slot {
  readonly name: string
  readonly runtime: Runtime
  loading: Promise<void>
  loaded: boolean
  active: number
  readonly queue: FairQueue<Waiter>
  lastUsedAt: number
  /** Recent request durations, for the retry-after of a full queue. */
  meanMs: number
}

/**
 * The models this node holds in memory: loads them on demand or on request, keeps their total
 * estimated memory within a budget by unloading the least recently used idle one, and runs each
 * model's requests through its slots (concurrent requests) with a bounded wait queue in front.
 */
export class ModelManager {
  readonly #opts: ModelManagerOptions
  readonly #slots = new Map<string, Slot>()
  /** Serializes loads and unloads, so that two loads never both squeeze into the same budget. */
  #changes: Promise<unknown> = Promise.resolve()
  #closed = false

  constructor (opts: ModelManagerOptions) {
    if (!(opts.memoryBudgetBytes > 0)) throw new RangeError(`memoryBudgetBytes must be > 0, got ${opts.memoryBudgetBytes}`)
    if (!Number.isInteger(opts.maxQueue) || opts.maxQueue < 0) throw new RangeError(`maxQueue must be an integer >= 0, got ${opts.maxQueue}`)
    this.#opts = opts
  }

  /** Loads the model (unloading idle ones if the budget needs it); resolves when it can answer. */
  async load (name: string): Promise<LoadedModel> {
    const slot = await this.#ensure(name)
    await slot.loading
    return this.#describe(slot)
  }

  /** Unloads the model; its running and queued requests fail with InferenceUnavailableError. */
  async unload (name: string): Promise<boolean> {
    return await this.#serial(async () => {
      const slot = this.#slots.get(name)
      if (slot === undefined) return false
      await this.#drop(slot, `model ${name} was unloaded`)
      return true
    })
  }

  loaded (): LoadedModel[] {
    return [...this.#slots.values()].filter((s) => s.loaded).map((s) => this.#describe(s)).sort((a, b) => a.model.localeCompare(b.model))
  }

  /** Whether the model is loaded here and a request for it would start at once (a free slot, and
   * nobody waiting). */
  hasFreeSlot (name: string): boolean {
    const slot = this.#slots.get(name)
    return slot !== undefined && slot.loaded && slot.queue.length === 0 && slot.active < slot.runtime.info().slots
  }

  /** Whether the model is loaded here (or loading). */
  holds (name: string): boolean {
    return this.#slots.has(name)
  }

  /** Requests waiting for a slot, by model. */
  queueDepths (): Map<string, number> {
    return new Map([...this.#slots.values()].map((s) => [s.name, s.queue.length]))
  }

  /**
   * Runs a request on the model, loading it first if needed. Waits for a slot in a bounded queue;
   * a full queue rejects at once with InferenceQueueFullError (with a retry-after estimate).
   */
  async generate (name: string, request: GenerateRequest, onToken: TokenSink, options: GenerateOptions = {}): Promise<GenerateResult> {
    const slot = await this.#ensure(name)
    await slot.loading
    const queuedAt = performance.now()
    if (!await this.#acquire(slot, options)) {
      const ms = performance.now() - queuedAt
      return { text: '', stopReason: 'cancelled', promptTokens: 0, completionTokens: 0, droppedTurns: 0, ttftMs: ms, durationMs: ms }
    }
    try {
      slot.lastUsedAt = Date.now()
      const result = await slot.runtime.generate(request, onToken, options.signal)
      slot.meanMs = slot.meanMs === 0 ? result.durationMs : slot.meanMs * 0.8 + result.durationMs * 0.2
      this.#opts.onResult?.(name, result)
      return result
    } finally {
      this.#release(slot)
    }
  }

  /** Embeds the texts with the model (loaded first if needed), taking one of its slots like a
   * request (embeddings wait their turn behind agents' answers, in the same bounded queue).
   * InferenceUnavailableError when its runtime cannot embed. */
  async embed (name: string, texts: readonly string[], options: GenerateOptions = {}): Promise<Float32Array[]> {
    const slot = await this.#ensure(name)
    await slot.loading
    if (slot.runtime.embed === undefined) throw new InferenceUnavailableError(`model ${name} cannot embed (its runtime, ${slot.runtime.info().kind}, has no embeddings)`)
    if (!await this.#acquire(slot, options)) throw new InferenceUnavailableError(`embedding with model ${name} was cancelled`)
    try {
      slot.lastUsedAt = Date.now()
      return await slot.runtime.embed(texts)
    } finally {
      this.#release(slot)
    }
  }

  /** Saves the KV caches of these conversations held by any loaded model; says which model saved
   * which. */
  async saveCaches (cacheKeys: readonly string[]): Promise<Array<{ readonly model: string, readonly cacheKey: string, readonly bytes: number }>> {
    const saved: Array<{ model: string, cacheKey: string, bytes: number }> = []
    for (const slot of [...this.#slots.values()]) {
      if (!slot.loaded || slot.runtime.saveCaches === undefined) continue
      for (const state of await slot.runtime.saveCaches(cacheKeys)) saved.push({ model: slot.name, ...state })
    }
    return saved
  }

  /** A saved KV state arrived for a conversation on `model` (see Runtime.savedStateArrived). */
  savedStateArrived (model: string, cacheKey: string, bytes: number): void {
    const slot = this.#slots.get(model)
    if (slot?.loaded === true) slot.runtime.savedStateArrived?.(cacheKey, bytes)
  }

  async close (): Promise<void> {
    this.#closed = true
    await this.#serial(async () => {
      for (const slot of [...this.#slots.values()]) await this.#drop(slot, 'the node is shutting down')
    })
  }

  async #ensure (name: string): Promise<Slot> {
    if (this.#closed) throw new InferenceUnavailableError('the node is shutting down')
    const known = this.#slots.get(name)
    if (known !== undefined) return known
    return await this.#serial(async () => {
      const again = this.#slots.get(name)
      if (again !== undefined) return again
      if (this.#closed) throw new InferenceUnavailableError('the node is shutting down')
      const entry = this.#opts.registry.get(name) ?? (await this.#opts.registry.scan(), this.#opts.registry.get(name))
      if (entry === undefined) throw new UnknownModelError(`no model named ${name} in ${this.#opts.registry.dir}`)
      if (entry.status !== 'ready') throw new UnknownModelError(`model ${name} is not usable: ${entry.error ?? 'invalid'}`)
      const runtime = this.#opts.createRuntime(entry)
      await this.#makeRoom(runtime.info().memoryBytes, name)
      const slot: Slot = { name, runtime, loading: Promise.resolve(), loaded: false, active: 0, queue: new FairQueue(), lastUsedAt: Date.now(), meanMs: 0 }
      this.#slots.set(name, slot)
      const started = performance.now()
      slot.loading = runtime.load().then(() => {
        slot.loaded = true
        this.#opts.onLoadedChanged?.()
        const info = runtime.info()
        this.#opts.log?.info({ model: name, backend: info.backend, memoryBytes: info.memoryBytes, ms: Math.round(performance.now() - started) }, `model ${name} loaded`)
      }, async (err: unknown) => {
        this.#slots.delete(name)
        // the load's own failure is what the caller hears; an unload that fails too adds nothing
        await runtime.unload().catch(() => undefined)
        throw err
      })
      // the serial section ends before the load does: loads of different models may overlap, but
      // the memory they will take is already counted because their slot exists
      slot.loading.catch(() => undefined)
      return slot
    })
  }

  /** Unloads least recently used idle models until `bytes` more fit the budget. */
  async #makeRoom (bytes: number, name: string): Promise<void> {
    const budget = this.#opts.memoryBudgetBytes
    if (bytes > budget) throw new ModelMemoryError(`model ${name} needs about ${mib(bytes)} MiB, more than the whole models memory budget of ${mib(budget)} MiB`)
    const used = (): number => [...this.#slots.values()].reduce((sum, s) => sum + s.runtime.info().memoryBytes, 0)
    while (used() + bytes > budget) {
      const idle = [...this.#slots.values()].filter((s) => s.loaded && s.active === 0 && s.queue.length === 0)
        .sort((a, b) => a.lastUsedAt - b.lastUsedAt)[0]
      if (idle === undefined) {
        throw new ModelMemoryError(`model ${name} needs about ${mib(bytes)} MiB; ${mib(used())} of ${mib(budget)} MiB are held by models that are busy; unload one or retry when they are idle`)
      }
      this.#opts.log?.info({ model: idle.name, for: name }, `unloading model ${idle.name}, the least recently used, to make room for ${name}`)
      await this.#drop(idle, `model ${idle.name} was unloaded to make room for ${name}`)
    }
  }

  async #drop (slot: Slot, why: string): Promise<void> {
    this.#slots.delete(slot.name)
    for (const waiter of slot.queue.drain()) waiter.fail(new InferenceUnavailableError(why))
    // a load that failed was reported to its own caller; here it only has to have ended
    await slot.loading.catch(() => undefined)
    await slot.runtime.unload()
    this.#opts.onLoadedChanged?.()
  }

  /** Takes a slot, waiting in the queue if needed; false if the request was cancelled meanwhile. */
  async #acquire (slot: Slot, options: GenerateOptions): Promise<boolean> {
    if (slot.active < slot.runtime.info().slots && slot.queue.length === 0) {
      slot.active++
      return true
    }
    if (slot.queue.length >= this.#opts.maxQueue) {
      const slots = slot.runtime.info().slots
      const retryAfterMs = Math.max(1000, Math.ceil(((slot.meanMs || 1000) * (slot.queue.length + 1)) / slots))
      throw new InferenceQueueFullError(`model ${slot.name} is busy: ${slot.active} requests running and ${slot.queue.length} waiting (the most allowed); retry in about ${Math.ceil(retryAfterMs / 1000)} s`, retryAfterMs)
    }
    return await new Promise<boolean>((resolve, reject) => {
      const signal = options.signal
      const onAbort = (): void => {
        if (slot.queue.remove(waiter)) this.#tellPositions(slot)
        resolve(false)
      }
      const waiter: Waiter = {
        start: () => { signal?.removeEventListener('abort', onAbort); resolve(true) },
        fail: (err) => { signal?.removeEventListener('abort', onAbort); reject(err) },
        position: 0,
        onQueued: options.onQueued
      }
      if (signal?.aborted === true) {
        onAbort()
        return
      }
      signal?.addEventListener('abort', onAbort, { once: true })
      slot.queue.push(options.user ?? '', waiter)
      this.#tellPositions(slot, waiter)
    })
  }

  #release (slot: Slot): void {
    const next = slot.queue.shift()
    if (next === undefined) {
      slot.active--
      return
    }
    next.start()   // the slot passes straight to the next waiter
    this.#tellPositions(slot)
  }

  /** Tells each waiting request its place when it changed (`only`: just that one, when the queue
   * is too long to go over at every change). */
  #tellPositions (slot: Slot, only?: Waiter): void {
    if (slot.queue.length > POSITION_UPDATES_MAX_QUEUE) {
      if (only !== undefined) {
        only.position = slot.queue.length
        only.onQueued?.(only.position)
      }
      return
    }
    for (const [i, waiter] of slot.queue.order().entries()) {
      if (waiter.position === i + 1) continue
      waiter.position = i + 1
      waiter.onQueued?.(waiter.position)
    }
  }

  #describe (slot: Slot): LoadedModel {
    return { ...slot.runtime.info(), active: slot.active, queued: slot.queue.length, lastUsedAt: slot.lastUsedAt }
  }

  async #serial<T> (fn: () => Promise<T>): Promise<T> {
    const run = this.#changes.then(fn, fn)
    // the chain only orders the changes: each one's failure goes to its own caller through `run`
    this.#changes = run.catch(() => undefined)
    return await run
  }
}

function mib (bytes: number): number {
  return Math.ceil(bytes / 1_048_576)
}
