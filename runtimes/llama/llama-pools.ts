import { once } from 'node:events'
import type { Worker } from 'node:worker_threads'
import { Piscina } from 'piscina'
import { assertNever, errorData } from '../../protocols/index.ts'
import { InferenceUnavailableError, rebuildInferenceError } from '../errors.ts'
import { UNLOAD_DRAIN_MS, UNLOAD_SAVE_MS } from './constants.ts'
import type { LlamaTask, LlamaTaskResult, LlamaWorkerData, SavedKvState } from './llama-protocol.ts'
import type { SavedKvStates } from './saved-kv-states.ts'
import { WorkerAffinity } from './worker-affinity.ts'
import type { RoutedWorker } from './worker-affinity.ts'

const WORKER_FILE = new URL('./llama-worker.ts', import.meta.url).href

export interface LlamaPoolsLog {
  info (obj: object, msg: string): void
  warn (obj: object, msg: string): void
}

export interface LlamaPoolsOptions {
  /** The model's name, for log lines and errors. */
  readonly name: string
  readonly workerData: LlamaWorkerData
  readonly workers: number
  /** Requests each worker runs at once. */
  readonly contextsPerWorker: number
  /** The saved KV states' account; undefined when states are not kept. */
  readonly kv: SavedKvStates | undefined
  readonly log: LlamaPoolsLog
}

/** A request running (or queued) in a pool. */
export interface InFlight {
  readonly cancel: () => void
  /** Settles when the pool answers, whatever the answer. */
  readonly done: Promise<unknown>
}

/** One worker thread in a Piscina pool of its own, so that a request can be sent to the worker that
 * holds its conversation's KV cache. */
export interface WorkerPool extends RoutedWorker {
  readonly pool: Piscina<LlamaTask, LlamaTaskResult>
  /** Its thread once its module, the model included, has loaded (Piscina's 'workerCreate'; for
   * the first it comes at once, but load() waits for it); 0 while a replacement loads. */
  readyThread: number
}

/** What the workers said once loaded. */
export interface LoadedWorkers {
  readonly backend: string
  /** The smallest context llama.cpp made (it may round the size asked for up). */
  readonly contextSize: number
  readonly threadIds: readonly number[]
  readonly build: string
  /** How the workers hold their sequences (all alike: one backend, one setting). */
  readonly batching: 'on' | 'off'
}

/**
 * The worker pools of one load of a model, and what runs in them: requests in flight, which worker
 * holds which conversation, the saved KV states. A worker thread must never end while llama.cpp
 * works for it (see LlamaRuntime), so stop() cancels what runs and waits for quiet before it
 * destroys anything.
 */
export class LlamaPools {
  readonly workers: readonly WorkerPool[]
  readonly inFlight = new Set<InFlight>()
  readonly affinity: WorkerAffinity<WorkerPool>
  readonly kv: SavedKvStates | undefined
  readonly #name: string
  readonly #log: LlamaPoolsLog

  constructor (options: LlamaPoolsOptions) {
    this.#name = options.name
    this.#log = options.log
    this.kv = options.kv
    this.workers = Array.from({ length: options.workers }, () => this.#worker(options))
    this.affinity = new WorkerAffinity(this.workers, options.contextsPerWorker)
  }

  /** The worker threads, for diagnostics. */
  get threads (): readonly Worker[] {
    return this.workers.flatMap((w) => w.pool.threads)
  }

  /** One 'ready' task per worker: it takes tasks only once its module (the model included) has
   * loaded. allSettled, not all: no pool may be destroyed while another worker is still loading. */
  async ready (): Promise<Array<PromiseSettledResult<LlamaTaskResult>>> {
    return await Promise.allSettled(this.workers.map((worker) => worker.pool.run({ type: 'ready' })))
  }

  /** Ends the workers at once: only when no task runs (a load that failed), else see stop(). */
  async destroy (): Promise<void> {
    await Promise.all(this.workers.map((worker) => worker.pool.destroy()))
  }

  /**
   * Saves the KV caches the workers hold for `cacheKeys` (all, when absent) to the kvState dir,
   * bounded in time; resolves with what was saved.
   */
  async saveCaches (cacheKeys: readonly string[] | undefined, timeoutMs: number): Promise<SavedKvState[]> {
    const saved: SavedKvState[] = []
    const workers = cacheKeys === undefined ? this.workers : this.affinity.holding(cacheKeys)
    const task: LlamaTask = { type: 'save-caches', ...(cacheKeys !== undefined && { cacheKeys }) }
    // No AbortSignal on the task: Piscina ends the thread of an aborted running task, and a
    // thread must never end while llama.cpp works for it. The wait is bounded instead.
    let timer: ReturnType<typeof setTimeout> | undefined
    const expired = new Promise<void>((resolve) => { timer = setTimeout(resolve, timeoutMs) })
    try {
      await Promise.race([expired, Promise.all(workers.map(async (worker) => {
        // a worker that died saved nothing: its caches are gone with it, which only costs time
        const outcome = await worker.pool.run(task).catch(() => undefined)
        if (outcome?.type !== 'caches-saved') return
        saved.push(...outcome.saved)
        await this.kv?.saved(outcome.saved)
        for (const failure of outcome.failures) this.#log.warn({ model: this.#name, failure }, 'a KV cache could not be saved')
      }))])
    } finally {
      clearTimeout(timer)
    }
    return saved
  }

  /** Cancels every request, waits (bounded) until no worker runs llama.cpp, saves the KV caches
   * the workers hold (bounded), then ends them. */
  async stop (): Promise<void> {
    const deadline = AbortSignal.timeout(UNLOAD_DRAIN_MS)
    const expired = new Promise<void>((resolve) => { deadline.addEventListener('abort', () => { resolve() }, { once: true }) })
    const requests = [...this.inFlight]
    for (const request of requests) request.cancel()
    await Promise.race([Promise.all(requests.map((request) => request.done)), expired])
    // a replacement for a worker that died may still be loading the model
    for (const worker of this.workers) {
      while (!deadline.aborted && !worker.pool.threads.every((thread) => worker.readyThread === thread.threadId)) {
        // the pool's own 'error' event rejects once(): the loop looks at the threads again
        await Promise.race([once(worker.pool, 'workerCreate').catch(() => {}), expired])
      }
    }
    if (deadline.aborted) {
      this.#log.warn({ model: this.#name, ms: UNLOAD_DRAIN_MS }, 'llama workers did not go quiet in time; terminating them anyway')
    } else if (this.kv !== undefined) {
      const saved = await this.saveCaches(undefined, UNLOAD_SAVE_MS)
      if (saved.length > 0) this.#log.info({ model: this.#name, states: saved.length, bytes: saved.reduce((n, s) => n + s.bytes, 0) }, 'KV caches saved')
    }
    await this.destroy()
    this.#log.info({ model: this.#name }, 'llama model unloaded')
  }

  #worker (options: LlamaPoolsOptions): WorkerPool {
    const pool = new Piscina<LlamaTask, LlamaTaskResult>({
      filename: WORKER_FILE,
      workerData: options.workerData,
      minThreads: 1,
      maxThreads: 1,
      concurrentTasksPerWorker: options.contextsPerWorker,
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
  }
}

/** The workers' answers to their 'ready' tasks: what they loaded, or the first failure. */
export function loadedWorkers (name: string, answers: ReadonlyArray<PromiseSettledResult<LlamaTaskResult>>): LoadedWorkers | { readonly failure: Error } {
  let failure: Error | undefined
  const sizes: number[] = []
  const threadIds: number[] = []
  let backend = ''
  let build = ''
  let batching: 'on' | 'off' = 'off'
  for (const answer of answers) {
    if (answer.status === 'rejected') {
      failure ??= new InferenceUnavailableError(`model "${name}": a llama.cpp worker died while loading it (${errorData(answer.reason).message})`)
      continue
    }
    const outcome = answer.value
    switch (outcome.type) {
      case 'loaded':
        backend = outcome.backend
        sizes.push(outcome.contextSize)
        threadIds.push(outcome.threadId)
        build = outcome.build
        batching = outcome.batching
        break
      case 'failed':
        failure ??= rebuildInferenceError(outcome.error)
        break
      case 'generated':
      case 'caches-saved':
      case 'embedded':
        failure ??= new TypeError(`a llama worker answered a ready task with "${outcome.type}"`)
        break
      default: assertNever(outcome, 'task result')
    }
  }
  if (failure !== undefined) return { failure }
  return { backend, contextSize: Math.min(...sizes), threadIds, build, batching }
}
