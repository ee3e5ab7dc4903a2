import { once } from 'node:events'
import { mkdir } from 'node:fs/promises'
import { MessageChannel, receiveMessageOnPort } from 'node:worker_threads'
import type { Worker } from 'node:worker_threads'
import { Piscina } from 'piscina'
import { assertNever } from '../../protocols/index.ts'
import { InferenceUnavailableError, InferenceWorkerError, UnknownModelError, rebuildInferenceError } from '../errors.ts'
import { errorData } from '../../protocols/index.ts'
import { readGgufInfo, validateModel } from '../gguf/index.ts'
import type { ModelFacts } from '../gguf/index.ts'
import type { GenerateRequest, GenerateResult, Runtime, RuntimeInfo, TokenSink } from '../runtime.ts'
import { kvStatePaths, listKvStates, modelSha256, removeKvStateById } from './kv-state-file.ts'
import type { LlamaControlMessage, LlamaStreamMessage, LlamaTask, LlamaTaskResult, LlamaWorkerData, SavedKvState } from './llama-protocol.ts'

export interface LlamaRuntimeLog {
  info (obj: object, msg: string): void
  warn (obj: object, msg: string): void
}

export interface LlamaRuntimeOptions {
  /** The model's name in the registry. */
  readonly name: string
  /** A GGUF file already validated by runtimes/gguf `validateModel`. */
  readonly file: string
  /** What validateModel said of the file: sizes for the memory estimate and the default context.
   * Without them, load() reads and validates the file itself first. */
  readonly facts?: ModelFacts
  /** 'auto': CUDA, then Vulkan, then CPU, whichever prebuilt binary works; 'cuda': CUDA or fail.
   * @default 'auto' */
  readonly gpu?: 'auto' | 'cuda' | 'off'
  /** Worker threads; each loads the model once. @default 1 */
  readonly workers?: number
  /** Requests each worker runs at once, one llama context each. @default 1 */
  readonly contextsPerWorker?: number
  /** llama.cpp threads per context. Keep workers × contextsPerWorker × threads ≤ cores. @default 1 */
  readonly threads?: number
  /** Tokens per context, prompt and answer together. @default min(2048, the model's context length) */
  readonly contextSize?: number
  /** Conversations (cache keys) whose KV cache each worker keeps in memory, a context each; at
   * least contextsPerWorker. @default contextsPerWorker */
  readonly cachedSequences?: number
  /** Where a conversation's KV cache is saved when it is evicted from memory or the model
   * unloads, to be restored on its next request; none: caches are kept in memory only. */
  readonly kvStateDir?: string
  /** Bytes the saved KV caches may take on disk; the least recently saved go first. @default 1 GiB */
  readonly kvStateBudgetBytes?: number
  /** Called for every KV cache saved to disk, with its size. */
  readonly onKvSaved?: (bytes: number) => void
  readonly log?: LlamaRuntimeLog
}

/** Larger contexts cost KV-cache memory in every slot whether a conversation needs it or not. */
const DEFAULT_CONTEXT_SIZE = 2048
/** Bytes per KV-cache element: llama.cpp keeps K and V in f16 unless told otherwise. */
const KV_ELEMENT_BYTES = 2
/** How long unload() waits for cancelled requests to leave llama.cpp before it terminates the
 * workers anyway. A cancelled request stops at its next token, which for one still evaluating its
 * prompt comes after the whole prompt (seconds for a long one on the CPU); reaching this means a
 * worker is stuck. */
const UNLOAD_DRAIN_MS = 30_000
const GPU_CHOICES = ['auto', 'cuda', 'off'] as const
const WORKER_FILE = new URL('./llama-worker.ts', import.meta.url).href
const DEFAULT_KV_STATE_BUDGET = 1024 * 1_048_576
/** Cache keys whose worker is remembered: a hint for affinity, so a bound costs a miss at worst. */
const MAX_AFFINITY_KEYS = 10_000
/** How long unload() gives the workers to save the KV caches they hold. */
const UNLOAD_SAVE_MS = 10_000
const silent: LlamaRuntimeLog = { info () {}, warn () {} }

/** A request running (or queued) in a pool. */
interface InFlight {
  readonly cancel: () => void
  /** Settles when the pool answers, whatever the answer. */
  readonly done: Promise<unknown>
}

/** One worker thread in a pool of its own, so that a request can be sent to the worker that
 * holds its conversation's KV cache. */
interface WorkerPool {
  readonly pool: Piscina<LlamaTask, LlamaTaskResult>
  /** Requests running in it (at most contextsPerWorker: the model manager bounds the total). */
  active: number
  /** Cache keys routed to it (in the affinity map). */
  conversations: number
  /** Its thread once its module, the model included, has loaded (Piscina's 'workerCreate'; for
   * the first it comes at once, but load() waits for it); 0 while a replacement loads. */
  readyThread: number
}

/** One load: the pools and what runs in them. */
interface PoolState {
  readonly pools: readonly WorkerPool[]
  readonly inFlight: Set<InFlight>
  /** cache key → the pool that ran its last request, oldest first (a hint, bounded). */
  readonly affinity: Map<string, WorkerPool>
  /** Saved KV states on disk (id → bytes), least recently saved or read first. */
  readonly savedStates: Map<string, number>
  /** What saved states must match; undefined when they are not kept. */
  readonly kvState: LlamaWorkerData['kvState']
  /** Cache keys whose saved state came from another node: their next request restores it. */
  readonly arrived: Set<string>
}

/**
 * A GGUF model in llama.cpp (node-llama-cpp), in a pool of Piscina worker threads so that
 * inference never blocks the node's event loop. Each worker loads the model once and keeps one
 * llama context per request it runs at once; text streams back over a MessagePort per request.
 * A worker that dies fails its own requests (InferenceWorkerError) and Piscina replaces it.
 *
 * A worker thread must never end while llama.cpp works for it: node-llama-cpp's native callbacks
 * then throw into the dying thread, and the whole process aborts (SIGABRT; checked with 3.22.1).
 * So unload() first cancels what runs and waits for the workers to go quiet, and only then
 * destroys the pool; the same holds for a load that fails or is unloaded half way.
 */
export class LlamaRuntime implements Runtime {
  readonly #name: string
  readonly #file: string
  readonly #gpu: 'auto' | 'cuda' | 'off'
  readonly #workers: number
  readonly #contextsPerWorker: number
  readonly #threads: number
  readonly #requestedContextSize: number | undefined
  readonly #cachedSequences: number
  readonly #kvStateDir: string | undefined
  readonly #kvStateBudget: number
  readonly #onKvSaved: (bytes: number) => void
  readonly #log: LlamaRuntimeLog
  #facts: ModelFacts | undefined
  /** As asked for until loaded, then as llama.cpp made it. */
  #contextSize: number
  /** What was asked for until loaded, then what the workers compute on. */
  #backend: string
  #state: PoolState | undefined
  #loaded = false
  #loading: Promise<void> | undefined
  #unloading: Promise<void> | undefined
  /** Counts unload() calls: a load that sees it change was unloaded while it ran. */
  #epoch = 0

  constructor (options: LlamaRuntimeOptions) {
    if (typeof options.name !== 'string' || options.name === '') throw new TypeError(`name must be a non-empty string, got ${JSON.stringify(options.name)}`)
    if (typeof options.file !== 'string' || options.file === '') throw new TypeError(`file must be a path, got ${JSON.stringify(options.file)}`)
    this.#name = options.name
    this.#file = options.file
    this.#gpu = options.gpu ?? 'auto'
    if (!GPU_CHOICES.includes(this.#gpu)) throw new RangeError(`gpu must be one of ${GPU_CHOICES.join(', ')}, got ${JSON.stringify(this.#gpu)}`)
    this.#workers = positive('workers', options.workers ?? 1)
    this.#contextsPerWorker = positive('contextsPerWorker', options.contextsPerWorker ?? 1)
    this.#threads = positive('threads', options.threads ?? 1)
    this.#requestedContextSize = options.contextSize === undefined ? undefined : positive('contextSize', options.contextSize)
    this.#cachedSequences = Math.max(this.#contextsPerWorker, positive('cachedSequences', options.cachedSequences ?? this.#contextsPerWorker))
    this.#kvStateDir = options.kvStateDir
    this.#kvStateBudget = positive('kvStateBudgetBytes', options.kvStateBudgetBytes ?? DEFAULT_KV_STATE_BUDGET)
    this.#onKvSaved = options.onKvSaved ?? (() => {})
    this.#log = options.log ?? silent
    this.#facts = options.facts
    this.#contextSize = this.#requestedContextSize ?? Math.min(DEFAULT_CONTEXT_SIZE, options.facts?.contextLength ?? DEFAULT_CONTEXT_SIZE)
    this.#backend = this.#gpu === 'off' ? 'cpu' : this.#gpu
  }

  /** The pool's worker threads, for diagnostics (empty when not loaded). */
  get workers (): readonly Worker[] {
    return this.#state?.pools.flatMap((p) => p.pool.threads) ?? []
  }

  load (): Promise<void> {
    if (this.#loading === undefined) {
      const loading = this.#start()
      this.#loading = loading
      // a failed load may be tried again
      loading.catch(() => { if (this.#loading === loading) this.#loading = undefined })
    }
    return this.#loading
  }

  async generate (request: GenerateRequest, onToken: TokenSink, signal?: AbortSignal): Promise<GenerateResult> {
    const state = this.#state
    if (state === undefined || !this.#loaded) throw new InferenceUnavailableError(`model "${this.#name}" is not loaded`)
    checkRequest(request)
    if (signal?.aborted === true) {
      return { text: '', stopReason: 'cancelled', promptTokens: 0, completionTokens: 0, droppedTurns: 0, ttftMs: 0, durationMs: 0 }
    }
    const { port1, port2 } = new MessageChannel()
    // what went wrong on this side while the worker ran: reported once the worker has stopped
    let failure: { readonly err: unknown } | undefined
    const cancel = (): void => { port1.postMessage({ type: 'cancel' } satisfies LlamaControlMessage) }
    const deliver = (msg: LlamaStreamMessage): void => {
      if (failure !== undefined) return
      switch (msg.type) {
        case 'text-generated':
          try {
            onToken(msg.text)
          } catch (err) {
            // the caller cannot take more text: stop the generation, then fail with its error
            failure = { err }
            cancel()
          }
          return
        default: {
          // not thrown from this listener, where nobody could catch it
          const type: never = msg.type
          failure = { err: new TypeError(`unexpected message from the llama worker: ${JSON.stringify(type)}`) }
          cancel()
        }
      }
    }
    port1.on('message', deliver)
    signal?.addEventListener('abort', cancel, { once: true })
    const cacheKey = request.cacheKey
    const worker = this.#route(state, cacheKey)
    const preferSaved = cacheKey !== undefined && state.arrived.delete(cacheKey)
    const task: LlamaTask = {
      type: 'generate',
      input: request.input,
      params: request.params,
      ...(cacheKey !== undefined && { cacheKey }),
      ...(preferSaved && { preferSaved }),
      port: port2
    }
    worker.active++
    const running = worker.pool.run(task, { transferList: [port2] })
    const inFlight: InFlight = { cancel, done: running.catch(() => {}) }
    state.inFlight.add(inFlight)
    try {
      let outcome: LlamaTaskResult
      try {
        outcome = await running
      } catch (err) {
        // the worker never throws: a rejection means its thread is gone
        if (this.#state !== state) throw this.#unloadedMeanwhile()
        this.#log.warn({ model: this.#name, err: errorData(err) }, 'llama worker died during a request; Piscina restarts it')
        throw new InferenceWorkerError(`the llama.cpp worker running this request on model "${this.#name}" died (${errorData(err).message}); ` +
          'it is being restarted, retry the request')
      }
      if (this.#state !== state) throw this.#unloadedMeanwhile()
      // Piscina's answer and the text arrive on different ports, in no set order between them;
      // everything the worker posted before answering is queued on ours by now, so read it first.
      for (let entry = receiveMessageOnPort(port1); entry !== undefined; entry = receiveMessageOnPort(port1)) {
        deliver(entry.message as LlamaStreamMessage)
      }
      if (outcome.type === 'generated') {
        // the state just read is the most recently used before the budget is applied
        if (outcome.read !== undefined) this.#readState(state, outcome.read.cacheKey, outcome.read.removed)
        await this.#savedStates(state, outcome.saved)
        if (outcome.result.cache?.restoreFailure !== undefined) {
          this.#log.warn({ model: this.#name, reason: outcome.result.cache.restoreFailure }, 'a saved KV cache was refused; the prompt was evaluated again')
        }
      }
      if (failure !== undefined) throw failure.err
      switch (outcome.type) {
        case 'generated': return outcome.result
        case 'failed': throw rebuildInferenceError(outcome.error)
        case 'loaded':
        case 'caches-saved':
          throw new TypeError(`the llama worker answered a generate task with "${outcome.type}"`)
        default: return assertNever(outcome, 'task result')
      }
    } finally {
      worker.active--
      state.inFlight.delete(inFlight)
      signal?.removeEventListener('abort', cancel)
      port1.close()
    }
  }

  /** Requests in flight fail with InferenceUnavailableError; resolves once the workers are gone. */
  unload (): Promise<void> {
    this.#epoch++
    const loading = this.#loading
    const state = this.#state
    const previous = this.#unloading
    this.#loading = undefined
    this.#state = undefined
    this.#loaded = false
    this.#unloading = (async () => {
      await previous
      // a worker still loading has llama.cpp work in flight (see the class comment)
      await loading?.catch(() => {})
      if (state !== undefined) await this.#stop(state)
    })()
    return this.#unloading
  }

  info (): RuntimeInfo {
    const slots = this.#workers * this.#contextsPerWorker
    return {
      kind: 'llama.cpp',
      model: this.#name,
      loaded: this.#loaded,
      contextSize: this.#contextSize,
      slots,
      memoryBytes: this.#memoryBytes(),
      backend: this.#backend
    }
  }

  /**
   * An estimate, not a measurement: every worker maps the whole file (RSS can reach twice the file
   * for F16 on the CPU, where llama.cpp repacks weights), plus each slot's KV cache, 2 (K and V) ×
   * layers × context × embedding width × f16. It counts full attention width, so models with
   * grouped-query attention hold less. Every context counts, those that only hold caches too. Unknown (0) before the first load when no facts were given.
   */
  #memoryBytes (): number {
    const facts = this.#facts
    if (facts === undefined) return 0
    const contexts = this.#workers * this.#cachedSequences
    const kvCache = 2 * facts.blockCount * this.#contextSize * facts.embeddingLength * KV_ELEMENT_BYTES * contexts
    return facts.fileBytes * this.#workers + kvCache
  }

  async #start (): Promise<void> {
    const epoch = this.#epoch
    await this.#unloading
    const facts = this.#facts ?? await this.#readFacts()
    this.#facts = facts
    if (this.#epoch !== epoch) throw this.#unloadedMeanwhile()
    const contextSize = this.#requestedContextSize ?? Math.min(DEFAULT_CONTEXT_SIZE, facts.contextLength)
    const kvState = await this.#prepareKvState()
    if (this.#epoch !== epoch) throw this.#unloadedMeanwhile()
    const workerData: LlamaWorkerData = {
      name: this.#name,
      file: this.#file,
      gpu: this.#gpu,
      contexts: this.#contextsPerWorker,
      threads: this.#threads,
      contextSize,
      cachedSequences: this.#cachedSequences,
      ...(kvState !== undefined && { kvState: kvState.identity })
    }
    const pools = Array.from({ length: this.#workers }, (): WorkerPool => {
      const pool = new Piscina<LlamaTask, LlamaTaskResult>({
        filename: WORKER_FILE,
        workerData,
        minThreads: 1,
        maxThreads: 1,
        concurrentTasksPerWorker: this.#contextsPerWorker,
        // a worker holds a loaded model: never retire it for being idle
        idleTimeout: Infinity,
        // An idle worker would otherwise block in Atomics.wait, freezing its event loop, and
        // node-llama-cpp finishes disposing a generation's sampler asynchronously after it ends.
        atomics: 'disabled'
      })
      const worker: WorkerPool = { pool, active: 0, conversations: 0, readyThread: 0 }
      pool.on('error', (err: unknown) => {
        this.#log.warn({ model: this.#name, err: errorData(err) }, 'llama worker pool error')
      })
      pool.on('workerCreate', (created: { readonly id: number }) => { worker.readyThread = created.id })
      pool.on('workerDestroy', () => { worker.readyThread = 0 })
      return worker
    })
    const state: PoolState = { pools, inFlight: new Set(), affinity: new Map(), savedStates: kvState?.saved ?? new Map(), kvState: kvState?.identity, arrived: new Set() }
    this.#state = state
    const started = performance.now()
    // One 'ready' task per worker: it takes tasks only once its module (the model included) has
    // loaded. allSettled, not all: no pool may be destroyed while another worker is still loading.
    const answers = await Promise.allSettled(pools.map((worker) => worker.pool.run({ type: 'ready' })))
    if (this.#epoch !== epoch) throw this.#unloadedMeanwhile()   // unload() destroys the pools
    let failure: Error | undefined
    const sizes: number[] = []
    const threadIds: number[] = []
    let build = ''
    for (const answer of answers) {
      if (answer.status === 'rejected') {
        failure ??= new InferenceUnavailableError(`model "${this.#name}": a llama.cpp worker died while loading it (${errorData(answer.reason).message})`)
        continue
      }
      const outcome = answer.value
      switch (outcome.type) {
        case 'loaded':
          this.#backend = outcome.backend
          sizes.push(outcome.contextSize)
          threadIds.push(outcome.threadId)
          build = outcome.build
          break
        case 'failed':
          failure ??= rebuildInferenceError(outcome.error)
          break
        case 'generated':
        case 'caches-saved':
          failure ??= new TypeError(`a llama worker answered a ready task with "${outcome.type}"`)
          break
        default: assertNever(outcome, 'task result')
      }
    }
    if (failure !== undefined) {
      // no task runs: destroying now cannot cut llama.cpp short, and stops Piscina restarting workers
      this.#state = undefined
      await Promise.all(pools.map((worker) => worker.pool.destroy()))
      throw failure
    }
    this.#contextSize = Math.min(...sizes)
    this.#loaded = true
    this.#log.info({
      model: this.#name,
      backend: this.#backend,
      build,
      workers: this.#workers,
      threadIds,
      contextsPerWorker: this.#contextsPerWorker,
      cachedSequences: this.#cachedSequences,
      threads: this.#threads,
      contextSize: this.#contextSize,
      kvStateDir: this.#kvStateDir ?? null,
      savedStates: state.savedStates.size,
      ms: Math.round(performance.now() - started)
    }, 'llama model loaded')
  }

  /** The saved KV states already on disk and the model's hash, when states are kept. */
  async #prepareKvState (): Promise<{ identity: NonNullable<LlamaWorkerData['kvState']>, saved: Map<string, number> } | undefined> {
    const dir = this.#kvStateDir
    if (dir === undefined) return undefined
    try {
      await mkdir(dir, { recursive: true })
      const modelHash = await modelSha256(dir, this.#file)
      const saved = new Map((await listKvStates(dir)).map((s) => [s.id, s.bytes]))
      return { identity: { dir, modelSha256: modelHash }, saved }
    } catch (err) {
      // caches kept in memory still work; only their saving is off
      this.#log.warn({ model: this.#name, dir, err: errorData(err) }, 'KV caches cannot be saved to disk; they are kept in memory only')
      return undefined
    }
  }

  /** The worker for a request: the one that ran its conversation last while it has a free
   * context, else the one with the fewest requests running (the model manager bounds the total,
   * so that one has a free context). */
  #route (state: PoolState, cacheKey: string | undefined): WorkerPool {
    // among the least busy, the one given the fewest conversations, so that they spread
    const least = (): WorkerPool => state.pools.reduce((best, p) =>
      (p.active < best.active || (p.active === best.active && p.conversations < best.conversations) ? p : best))
    if (cacheKey === undefined) return least()
    const known = state.affinity.get(cacheKey)
    if (known !== undefined && known.active < this.#contextsPerWorker) {
      state.affinity.delete(cacheKey)
      state.affinity.set(cacheKey, known)
      return known
    }
    const worker = least()
    if (known !== undefined) known.conversations--
    worker.conversations++
    state.affinity.delete(cacheKey)
    state.affinity.set(cacheKey, worker)
    if (state.affinity.size > MAX_AFFINITY_KEYS) {
      const [oldest, pool] = state.affinity.entries().next().value ?? []
      if (oldest !== undefined && pool !== undefined) {
        state.affinity.delete(oldest)
        pool.conversations--
      }
    }
    return worker
  }

  /** Counts states a worker saved, then removes the least recently saved beyond the budget. */
  async #savedStates (state: PoolState, saved: readonly SavedKvState[]): Promise<void> {
    const dir = state.kvState?.dir
    if (dir === undefined || saved.length === 0) return
    for (const s of saved) {
      const { id } = kvStatePaths(dir, s.cacheKey)
      state.savedStates.delete(id)
      state.savedStates.set(id, s.bytes)
      this.#onKvSaved(s.bytes)
    }
    let total = [...state.savedStates.values()].reduce((a, b) => a + b, 0)
    for (const [id, bytes] of state.savedStates) {
      if (total <= this.#kvStateBudget) break
      state.savedStates.delete(id)
      total -= bytes
      // a worker about to read it finds it missing and evaluates the prompt: only slower
      await removeKvStateById(dir, id).catch((err: unknown) => { this.#log.warn({ model: this.#name, err: errorData(err) }, 'could not remove a saved KV cache') })
    }
  }

  /** A saved state was read (it is now the most recently used) or refused and removed. */
  #readState (state: PoolState, cacheKey: string, removed: boolean): void {
    const dir = state.kvState?.dir
    if (dir === undefined) return
    const { id } = kvStatePaths(dir, cacheKey)
    const bytes = state.savedStates.get(id)
    state.savedStates.delete(id)
    if (!removed && bytes !== undefined) state.savedStates.set(id, bytes)
  }

  savedStateArrived (cacheKey: string, bytes: number): void {
    const state = this.#state
    if (state?.kvState === undefined) return
    const { id } = kvStatePaths(state.kvState.dir, cacheKey)
    state.savedStates.delete(id)
    state.savedStates.set(id, bytes)
    state.arrived.add(cacheKey)
    if (state.arrived.size > MAX_AFFINITY_KEYS) state.arrived.delete(state.arrived.values().next().value as string)
  }

  /**
   * Saves the KV caches the workers hold for `cacheKeys` (all, when absent) to the kvState dir,
   * bounded in time; resolves with what was saved. Nothing when states are not kept.
   */
  async saveCaches (cacheKeys?: readonly string[], timeoutMs = UNLOAD_SAVE_MS): Promise<SavedKvState[]> {
    const state = this.#state
    if (state === undefined || !this.#loaded || state.kvState === undefined) return []
    return await this.#saveCaches(state, cacheKeys, timeoutMs)
  }

  async #saveCaches (state: PoolState, cacheKeys: readonly string[] | undefined, timeoutMs: number): Promise<SavedKvState[]> {
    const saved: SavedKvState[] = []
    const pools = cacheKeys === undefined
      ? state.pools
      : [...new Set(cacheKeys.map((key) => state.affinity.get(key)).filter((p) => p !== undefined))]
    const task: LlamaTask = { type: 'save-caches', ...(cacheKeys !== undefined && { cacheKeys }) }
    // No AbortSignal on the task: Piscina ends the thread of an aborted running task, and a
    // thread must never end while llama.cpp works for it. The wait is bounded instead.
    let timer: ReturnType<typeof setTimeout> | undefined
    const expired = new Promise<void>((resolve) => { timer = setTimeout(resolve, timeoutMs) })
    try {
      await Promise.race([expired, Promise.all(pools.map(async (worker) => {
        const outcome = await worker.pool.run(task).catch(() => undefined)
        if (outcome?.type !== 'caches-saved') return
        saved.push(...outcome.saved)
        await this.#savedStates(state, outcome.saved)
        for (const failure of outcome.failures) this.#log.warn({ model: this.#name, failure }, 'a KV cache could not be saved')
      }))])
    } finally {
      clearTimeout(timer)
    }
    return saved
  }

  /** Cancels every request, waits (bounded) until no worker runs llama.cpp, saves the KV caches
   * the workers hold (bounded), then ends them. */
  async #stop (state: PoolState): Promise<void> {
    const { pools, inFlight } = state
    const deadline = AbortSignal.timeout(UNLOAD_DRAIN_MS)
    const expired = new Promise<void>((resolve) => { deadline.addEventListener('abort', () => { resolve() }, { once: true }) })
    const requests = [...inFlight]
    for (const request of requests) request.cancel()
    await Promise.race([Promise.all(requests.map((request) => request.done)), expired])
    // a replacement for a worker that died may still be loading the model
    for (const worker of pools) {
      while (!deadline.aborted && !worker.pool.threads.every((thread) => worker.readyThread === thread.threadId)) {
        await Promise.race([once(worker.pool, 'workerCreate').catch(() => {}), expired])
      }
    }
    if (deadline.aborted) {
      this.#log.warn({ model: this.#name, ms: UNLOAD_DRAIN_MS }, 'llama workers did not go quiet in time; terminating them anyway')
    } else if (state.kvState !== undefined) {
      const saved = await this.#saveCaches(state, undefined, UNLOAD_SAVE_MS)
      if (saved.length > 0) this.#log.info({ model: this.#name, states: saved.length, bytes: saved.reduce((n, s) => n + s.bytes, 0) }, 'KV caches saved')
    }
    await Promise.all(pools.map((worker) => worker.pool.destroy()))
    this.#log.info({ model: this.#name }, 'llama model unloaded')
  }

  #unloadedMeanwhile (): InferenceUnavailableError {
    return new InferenceUnavailableError(`model "${this.#name}" was unloaded meanwhile`)
  }

  async #readFacts (): Promise<ModelFacts> {
    try {
      return validateModel(this.#file, await readGgufInfo(this.#file))
    } catch (err) {
      throw new UnknownModelError(`model "${this.#name}": ${this.#file} was refused: ${errorData(err).message}`)
    }
  }
}

function positive (what: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 1) throw new RangeError(`${what} must be an integer >= 1, got ${value}`)
  return value
}

const ROLES = new Set(['system', 'user', 'assistant'])
/** An agent's key is `agent/<user>` plus the model's name: well under this. */
const MAX_CACHE_KEY_LENGTH = 512
/** As OpenAI's API: a few stop sequences, short ones. */
const MAX_STOP_STRINGS = 4
const MAX_STOP_LENGTH = 256

/** Checked here, before a worker sees it: a bad request fails at once and costs no slot. */
function checkRequest ({ input, params, cacheKey }: GenerateRequest): void {
  if (cacheKey !== undefined && (typeof cacheKey !== 'string' || cacheKey.length === 0 || cacheKey.length > MAX_CACHE_KEY_LENGTH)) {
    throw new RangeError(`cacheKey must be a string of 1 to ${MAX_CACHE_KEY_LENGTH} characters`)
  }
  if (params.stop !== undefined) {
    if (!Array.isArray(params.stop) || params.stop.length > MAX_STOP_STRINGS) throw new RangeError(`stop must be a list of at most ${MAX_STOP_STRINGS} strings`)
    for (const stop of params.stop) {
      if (typeof stop !== 'string' || stop.length === 0 || stop.length > MAX_STOP_LENGTH) throw new RangeError(`each stop string must have 1 to ${MAX_STOP_LENGTH} characters`)
    }
  }
  if (!Number.isSafeInteger(params.maxTokens) || params.maxTokens < 1) throw new RangeError(`maxTokens must be an integer >= 1, got ${params.maxTokens}`)
  if (!Number.isFinite(params.temperature) || params.temperature < 0) throw new RangeError(`temperature must be >= 0, got ${params.temperature}`)
  if (!Number.isFinite(params.topP) || params.topP <= 0 || params.topP > 1) throw new RangeError(`topP must be in (0, 1], got ${params.topP}`)
  if (!Number.isSafeInteger(params.topK) || params.topK < 0) throw new RangeError(`topK must be an integer >= 0, got ${params.topK}`)
  if (params.seed !== undefined && (!Number.isSafeInteger(params.seed) || params.seed < 0)) throw new RangeError(`seed must be an integer >= 0, got ${params.seed}`)
  if ('prompt' in input) {
    if (typeof input.prompt !== 'string') throw new TypeError(`prompt must be a string, got ${typeof input.prompt}`)
    return
  }
  if (!Array.isArray(input.messages) || input.messages.length === 0) throw new RangeError('messages must be a non-empty list of chat turns')
  for (const turn of input.messages) {
    if (!ROLES.has(turn?.role) || typeof turn.content !== 'string') {
      throw new TypeError(`a chat turn must be { role: 'system' | 'user' | 'assistant', content: string }, got ${JSON.stringify(turn).slice(0, 100)}`)
    }
  }
}
