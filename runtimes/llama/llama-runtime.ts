import type { Worker } from 'node:worker_threads'
import { assertNever, errorData } from '../../protocols/index.ts'
import { InferenceUnavailableError, InferenceWorkerError, UnknownModelError, rebuildInferenceError } from '../errors.ts'
import { readGgufInfo, validateModel } from '../gguf/index.ts'
import type { ModelFacts } from '../gguf/index.ts'
import type { GenerateRequest, GenerateResult, Runtime, RuntimeInfo, TokenSink } from '../runtime.ts'
import { checkGenerateRequest } from './check-generate-request.ts'
import { DEFAULT_CONTEXT_SIZE, DEFAULT_KV_STATE_BUDGET, KV_ELEMENT_BYTES, MAX_SEQUENCES, UNLOAD_SAVE_MS } from './constants.ts'
import { LlamaPools, loadedWorkers } from './llama-pools.ts'
import type { InFlight } from './llama-pools.ts'
import type { LlamaTask, LlamaTaskResult, LlamaWorkerData, SavedKvState } from './llama-protocol.ts'
import { SavedKvStates } from './saved-kv-states.ts'
import { TokenStream } from './token-stream.ts'

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
  /** How each worker holds the requests it runs at once: 'on', one llama context whose sequences
   * are evaluated in one batch; 'off', a context each on threads of its own; 'auto', 'on' when the
   * worker's backend is a GPU and 'off' on the CPU (where 'on' answered fewer requests a second: docs/performance.md).
   * @default 'auto' */
  readonly batching?: 'auto' | 'on' | 'off'
  /** Worker threads; each loads the model once. @default 1 */
  readonly workers?: number
  /** Requests each worker runs at once, a sequence each of the worker's one llama context, their
   * tokens evaluated in one batch. @default 1 */
  readonly contextsPerWorker?: number
  /** llama.cpp threads of each worker's context. Keep workers × threads ≤ cores. @default 1 */
  readonly threads?: number
  /** Tokens per sequence (each request's room), prompt and answer together. @default min(2048, the model's context length) */
  readonly contextSize?: number
  /** Conversations (cache keys) whose KV cache each worker keeps in memory, a sequence of its
   * context each; at least contextsPerWorker. @default contextsPerWorker */
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

const GPU_CHOICES = ['auto', 'cuda', 'off'] as const
const BATCHING_CHOICES = ['auto', 'on', 'off'] as const
const silent: LlamaRuntimeLog = { info () {}, warn () {} }

/**
 * A GGUF model in llama.cpp (node-llama-cpp), in a pool of Piscina worker threads so that
 * inference never blocks the node's event loop. Each worker loads the model once and keeps one
 * llama context with a sequence per conversation it holds; the requests it runs at once are
 * evaluated in one batch. Text streams back over a MessagePort per request.
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
  readonly #batchingAsked: 'auto' | 'on' | 'off'
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
  /** As asked for until loaded ('auto' unknown), then as the workers resolved it. */
  #batching: 'on' | 'off' | undefined
  #state: LlamaPools | undefined
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
    this.#batchingAsked = options.batching ?? 'auto'
    if (!BATCHING_CHOICES.includes(this.#batchingAsked)) throw new RangeError(`batching must be one of ${BATCHING_CHOICES.join(', ')}, got ${JSON.stringify(this.#batchingAsked)}`)
    this.#batching = this.#batchingAsked === 'auto' ? undefined : this.#batchingAsked
    this.#workers = positive('workers', options.workers ?? 1)
    this.#contextsPerWorker = positive('contextsPerWorker', options.contextsPerWorker ?? 1)
    this.#threads = positive('threads', options.threads ?? 1)
    this.#requestedContextSize = options.contextSize === undefined ? undefined : positive('contextSize', options.contextSize)
    this.#cachedSequences = Math.max(this.#contextsPerWorker, positive('cachedSequences', options.cachedSequences ?? this.#contextsPerWorker))
    // every one of them is a sequence of the worker's one context, which llama.cpp bounds
    if (this.#cachedSequences > MAX_SEQUENCES) throw new RangeError(`contextsPerWorker and cachedSequences must be <= ${MAX_SEQUENCES} (the sequences of one llama.cpp context), got ${this.#cachedSequences}`)
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
    return this.#state?.threads ?? []
  }

  load (): Promise<void> {
    if (this.#loading === undefined) {
      const loading = this.#start()
      this.#loading = loading
      // a failed load may be tried again (its caller sees the failure through the promise returned)
      loading.catch(() => { if (this.#loading === loading) this.#loading = undefined })
    }
    return this.#loading
  }

  async generate (request: GenerateRequest, onToken: TokenSink, signal?: AbortSignal): Promise<GenerateResult> {
    const state = this.#state
    if (state === undefined || !this.#loaded) throw new InferenceUnavailableError(`model "${this.#name}" is not loaded`)
    checkGenerateRequest(request)
    if (signal?.aborted === true) {
      return { text: '', stopReason: 'cancelled', promptTokens: 0, completionTokens: 0, droppedTurns: 0, ttftMs: 0, durationMs: 0 }
    }
    const stream = new TokenStream(onToken)
    const cancel = (): void => { stream.cancel() }
    signal?.addEventListener('abort', cancel, { once: true })
    const worker = state.affinity.route(request.cacheKey)
    worker.active++
    const running = worker.pool.run(this.#task(state, request, stream), { transferList: [stream.port] })
    // its failure is the request's own, met by the await below; `done` only says it settled
    const inFlight: InFlight = { cancel, done: running.catch(() => {}) }
    state.inFlight.add(inFlight)
    try {
      const outcome = await this.#answer(state, running)
      stream.drain()
      return await this.#settle(state, outcome, stream)
    } finally {
      worker.active--
      state.inFlight.delete(inFlight)
      signal?.removeEventListener('abort', cancel)
      stream.close()
    }
  }

  /** One vector per text from the model's embedding context (each worker makes its own on first
   * use), on the worker the affinity picks for no conversation. */
  async embed (texts: readonly string[]): Promise<Float32Array[]> {
    const state = this.#state
    if (state === undefined || !this.#loaded) throw new InferenceUnavailableError(`model "${this.#name}" is not loaded`)
    const worker = state.affinity.route(undefined)
    worker.active++
    const running = worker.pool.run({ type: 'embed', texts: [...texts] } satisfies LlamaTask)
    const inFlight: InFlight = { cancel: () => {}, done: running.catch(() => {}) }
    state.inFlight.add(inFlight)
    try {
      const outcome = await this.#answer(state, running)
      if (outcome.type === 'embedded') return [...outcome.vectors]
      if (outcome.type === 'failed') throw rebuildInferenceError(outcome.error)
      throw new TypeError(`the llama worker answered an embed task with "${outcome.type}"`)
    } finally {
      worker.active--
      state.inFlight.delete(inFlight)
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
      // a worker still loading has llama.cpp work in flight (see the class comment); how that load
      // ended is its own caller's to hear
      await loading?.catch(() => {})
      if (state !== undefined) await state.stop()
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
      backend: this.#backend,
      ...(this.#batching !== undefined && { batching: this.#batching })
    }
  }

  /** A state saved by another node was put in the kvState dir for `cacheKey` (its agent moved
   * here): the conversation's next request restores it. Nothing when states are not kept. */
  savedStateArrived (cacheKey: string, bytes: number): void {
    this.#state?.kv?.arrived(cacheKey, bytes)
  }

  /**
   * Saves the KV caches the workers hold for `cacheKeys` (all, when absent) to the kvState dir,
   * bounded in time; resolves with what was saved. Nothing when states are not kept.
   */
  async saveCaches (cacheKeys?: readonly string[], timeoutMs = UNLOAD_SAVE_MS): Promise<SavedKvState[]> {
    const state = this.#state
    if (state === undefined || !this.#loaded || state.kv === undefined) return []
    return await state.saveCaches(cacheKeys, timeoutMs)
  }

  /**
   * An estimate, not a measurement: every worker maps the whole file (RSS can reach twice the file
   * for F16 on the CPU, where llama.cpp repacks weights), plus each slot's KV cache, 2 (K and V) ×
   * layers × context × embedding width × f16. It counts full attention width, so models with
   * grouped-query attention hold less. Every sequence counts, those that only hold caches too
   * (llama.cpp gives each sequence of a context its own contextSize cells). Unknown (0) before the first load when no facts were given.
   */
  #memoryBytes (): number {
    const facts = this.#facts
    if (facts === undefined) return 0
    const contexts = this.#workers * this.#cachedSequences
    const kvCache = 2 * facts.blockCount * this.#contextSize * facts.embeddingLength * KV_ELEMENT_BYTES * contexts
    return facts.fileBytes * this.#workers + kvCache
  }

  #task (state: LlamaPools, request: GenerateRequest, stream: TokenStream): LlamaTask {
    const cacheKey = request.cacheKey
    const preferSaved = cacheKey !== undefined && state.kv?.takeArrived(cacheKey) === true
    return {
      type: 'generate',
      input: request.input,
      params: request.params,
      ...(cacheKey !== undefined && { cacheKey }),
      ...(request.tools !== undefined && { tools: request.tools }),
      ...(request.toolChoice !== undefined && { toolChoice: request.toolChoice }),
      ...(preferSaved && { preferSaved }),
      port: stream.port
    }
  }

  /** The pool's answer to a generate task; the worker never throws, so a rejection means its
   * thread is gone. */
  async #answer (state: LlamaPools, running: Promise<LlamaTaskResult>): Promise<LlamaTaskResult> {
    let outcome: LlamaTaskResult
    try {
      outcome = await running
    } catch (err) {
      if (this.#state !== state) throw this.#unloadedMeanwhile()
      this.#log.warn({ model: this.#name, err: errorData(err) }, 'llama worker died during a request; Piscina restarts it')
      throw new InferenceWorkerError(`the llama.cpp worker running this request on model "${this.#name}" died (${errorData(err).message}); ` +
        'it is being restarted, retry the request')
    }
    if (this.#state !== state) throw this.#unloadedMeanwhile()
    return outcome
  }

  /** A generate task's outcome, once its text is delivered: the saved states counted, then the
   * result or the request's failure. */
  async #settle (state: LlamaPools, outcome: LlamaTaskResult, stream: TokenStream): Promise<GenerateResult> {
    if (outcome.type === 'generated') {
      // the state just read is the most recently used before the budget is applied
      if (outcome.read !== undefined) state.kv?.read(outcome.read.cacheKey, outcome.read.removed)
      await state.kv?.saved(outcome.saved)
      if (outcome.result.cache?.restoreFailure !== undefined) {
        this.#log.warn({ model: this.#name, reason: outcome.result.cache.restoreFailure }, 'a saved KV cache was refused; the prompt was evaluated again')
      }
    }
    if (stream.failure !== undefined) throw stream.failure.err
    switch (outcome.type) {
      case 'generated': return outcome.result
      case 'failed': throw rebuildInferenceError(outcome.error)
      case 'loaded':
      case 'caches-saved':
      case 'embedded':
        throw new TypeError(`the llama worker answered a generate task with "${outcome.type}"`)
      default: return assertNever(outcome, 'task result')
    }
  }

  async #start (): Promise<void> {
    const epoch = this.#epoch
    await this.#unloading
    const facts = this.#facts ?? await this.#readFacts()
    this.#facts = facts
    if (this.#epoch !== epoch) throw this.#unloadedMeanwhile()
    const kv = this.#kvStateDir === undefined
      ? undefined
      : await SavedKvStates.open({ dir: this.#kvStateDir, modelFile: this.#file, model: this.#name, budgetBytes: this.#kvStateBudget, onSaved: this.#onKvSaved, log: this.#log })
    if (this.#epoch !== epoch) throw this.#unloadedMeanwhile()
    const contextSize = this.#requestedContextSize ?? Math.min(DEFAULT_CONTEXT_SIZE, facts.contextLength)
    const state = new LlamaPools({ name: this.#name, workerData: this.#workerData(contextSize, kv), workers: this.#workers, contextsPerWorker: this.#contextsPerWorker, kv, log: this.#log })
    this.#state = state
    const started = performance.now()
    const answers = await state.ready()
    if (this.#epoch !== epoch) throw this.#unloadedMeanwhile()   // unload() destroys the pools
    const loaded = loadedWorkers(this.#name, answers)
    if ('failure' in loaded) {
      // no task runs: destroying now cannot cut llama.cpp short, and stops Piscina restarting workers
      this.#state = undefined
      await state.destroy()
      throw loaded.failure
    }
    this.#backend = loaded.backend
    this.#batching = loaded.batching
    this.#contextSize = loaded.contextSize
    this.#loaded = true
    this.#log.info({
      model: this.#name,
      backend: this.#backend,
      build: loaded.build,
      workers: this.#workers,
      threadIds: loaded.threadIds,
      batching: this.#batching,
      contextsPerWorker: this.#contextsPerWorker,
      cachedSequences: this.#cachedSequences,
      threads: this.#threads,
      contextSize: this.#contextSize,
      kvStateDir: this.#kvStateDir ?? null,
      savedStates: kv?.size ?? 0,
      ms: Math.round(performance.now() - started)
    }, 'llama model loaded')
  }

  #workerData (contextSize: number, kv: SavedKvStates | undefined): LlamaWorkerData {
    return {
      name: this.#name,
      file: this.#file,
      gpu: this.#gpu,
      batching: this.#batchingAsked,
      contexts: this.#contextsPerWorker,
      threads: this.#threads,
      contextSize,
      cachedSequences: this.#cachedSequences,
      ...(kv !== undefined && { kvState: kv.identity })
    }
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
