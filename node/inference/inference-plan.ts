import { availableParallelism, totalmem } from 'node:os'
import { join } from 'node:path'
import type { NodeConfig } from '../../config/index.ts'
import { LlamaRuntime, OpenAiRuntime } from '../../runtimes/index.ts'
import type { ModelEntry, Runtime } from '../../runtimes/index.ts'

/** How inference runs on this node: llama.cpp workers per model, contexts (concurrent requests)
 * per worker, threads per context, and the memory all loaded models may take. */
export interface InferencePlan {
  readonly workers: number
  readonly contexts: number
  readonly threads: number
  /** Conversations whose KV cache each worker keeps in memory (at least `contexts`). */
  readonly cachedSequences: number
  readonly memoryBudgetBytes: number
}

/** Fills in the inference settings left to defaults from this machine: one context per core up
 * to 4, and threads so that workers x contexts x threads stays within the cores (more makes
 * llama.cpp's threads spin against each other and generation many times slower). */
export function planInference (config: NodeConfig, cores = availableParallelism(), memoryBytes = totalmem()): InferencePlan {
  const workers = config.inferenceWorkers
  const contexts = config.inferenceContexts ?? Math.max(1, Math.min(4, cores))
  const threads = config.inferenceThreads ?? Math.max(1, Math.floor(cores / (workers * contexts)))
  const cachedSequences = Math.max(contexts, config.inferenceCachedSequences ?? contexts)
  const memoryBudgetBytes = (config.modelsMemory ?? Math.floor(memoryBytes / 2 / 1_048_576)) * 1_048_576
  return { workers, contexts, threads, cachedSequences, memoryBudgetBytes }
}

/** Where a model's saved KV caches are kept: its name made safe as a directory name. */
export function kvCacheDir (dataDir: string, model: string): string {
  return join(dataDir, 'kv-cache', encodeURIComponent(model))
}

/** The runtime of one model: llama.cpp in a worker pool for a GGUF file, or an OpenAI-compatible
 * server for a `<name>.json`. */
export function createRuntime (entry: ModelEntry, config: NodeConfig, plan: InferencePlan, log: { info (obj: object, msg: string): void, warn (obj: object, msg: string): void },
  onKvSaved?: (model: string, bytes: number) => void): Runtime {
  if (entry.runtime === 'openai-http') {
    const remote = entry.remote
    if (remote === undefined) throw new Error(`model ${entry.name} has no server settings`)
    return new OpenAiRuntime({ name: entry.name, ...remote })
  }
  return new LlamaRuntime({
    name: entry.name,
    file: entry.file,
    ...(entry.facts !== undefined && { facts: entry.facts }),
    gpu: config.gpu,
    batching: config.inferenceBatching,
    workers: plan.workers,
    contextsPerWorker: plan.contexts,
    threads: plan.threads,
    contextSize: Math.min(config.contextSize, entry.facts?.contextLength ?? config.contextSize),
    cachedSequences: plan.cachedSequences,
    ...(config.kvCacheDisk > 0 && {
      kvStateDir: kvCacheDir(config.dataDir, entry.name),
      kvStateBudgetBytes: config.kvCacheDisk * 1_048_576
    }),
    ...(onKvSaved !== undefined && { onKvSaved: (bytes: number) => { onKvSaved(entry.name, bytes) } }),
    log
  })
}
