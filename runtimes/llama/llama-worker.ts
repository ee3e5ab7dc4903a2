/**
 * The Piscina worker behind LlamaRuntime. Its default export is a promise of the task handler, so
 * Piscina reports the thread ready only after it has loaded llama.cpp and the model (once per
 * thread) and made its contexts: a sequence per conversation it keeps (`max(contexts,
 * cachedSequences)`), either all in one llama.cpp context so that the requests it runs at once are
 * evaluated together, their tokens in one batch (batching on: llama.cpp's `llama_decode` of all
 * sequences, what a GPU is for), or a context each, evaluated apart on threads of their own
 * (batching off: on the CPU a batch's one set of threads does the same work slower than a context
 * each, measured in docs/performance.md).
 * Failures are returned as data, never thrown: an Error loses its class crossing the thread.
 */
import { readFile } from 'node:fs/promises'
import { threadId, workerData } from 'node:worker_threads'
import { LlamaLogLevel, NoBinaryFoundError, getLlama } from 'node-llama-cpp'
import type { Llama, LlamaContext, LlamaModel } from 'node-llama-cpp'
import { assertNever, errorData } from '../../protocols/index.ts'
import { InferenceUnavailableError } from '../errors.ts'
import type { LlamaTask, LlamaTaskResult, LlamaWorkerData } from './llama-protocol.ts'
import { WorkerModel, failed } from './worker-model.ts'

type TaskHandler = (task: LlamaTask) => Promise<LlamaTaskResult>

/** What wrote a saved KV state: llama.cpp's release and node-llama-cpp's version. */
async function buildOf (llama: Llama): Promise<string> {
  const pkg = JSON.parse(await readFile(new URL('../package.json', import.meta.resolve('node-llama-cpp')), 'utf8')) as { version?: unknown }
  const release = llama.llamaCppRelease
  return `${release.repo}@${release.release} node-llama-cpp@${String(pkg.version)} ${llama.buildType}`
}

async function startLlama (data: LlamaWorkerData): Promise<Llama> {
  try {
    // build 'never': a missing binary must fail here, not start a source build of llama.cpp
    return await getLlama({ gpu: data.gpu === 'off' ? false : data.gpu, build: 'never', logLevel: LlamaLogLevel.error })
  } catch (err) {
    // NoBinaryFoundError sets no name of its own, so only its class tells it apart
    if (err instanceof NoBinaryFoundError && data.gpu === 'cuda') {
      throw new InferenceUnavailableError(`model "${data.name}": gpu "cuda" was asked for, but no prebuilt llama.cpp binary with CUDA ` +
        'support works on this machine; it needs an NVIDIA driver and the CUDA 12 or 13 runtime with cuBLAS. Install them, ' +
        'or use gpu "auto" (CUDA or Vulkan when they work, else the CPU) or "off"')
    }
    if (err instanceof NoBinaryFoundError) {
      throw new InferenceUnavailableError(`model "${data.name}": no prebuilt llama.cpp binary works on this machine ` +
        '(on Linux they need glibc 2.34 or newer); llama.cpp models cannot run here')
    }
    throw new InferenceUnavailableError(`model "${data.name}": llama.cpp did not start: ${errorData(err).message}`)
  }
}

interface Loaded {
  readonly model: WorkerModel
  readonly batching: 'on' | 'off'
}

async function load (data: LlamaWorkerData): Promise<Loaded> {
  const llama = await startLlama(data)
  try {
    const model = await llama.loadModel({ modelPath: data.file })
    const batching = batchingFor(data.batching, llama)
    const contexts = await createContexts(model, data, batching)
    return { model: new WorkerModel(llama, model, contexts, await buildOf(llama), data.kvState, data.threads), batching }
  } catch (err) {
    // the load's own failure is what the runtime hears; a failed dispose adds nothing to it
    await llama.dispose().catch(() => {})
    throw new InferenceUnavailableError(`model "${data.name}" did not load from ${data.file}: ${errorData(err).message}`)
  }
}

/** 'auto' is 'on' on a GPU backend (cuda, vulkan, metal), whose batch is computed in parallel,
 * and 'off' on the CPU, where one context of 6 sequences at one thread answered 0.58x what 6
 * contexts of one thread each did, in llama.cpp alone as in the stack (docs/performance.md). */
function batchingFor (asked: LlamaWorkerData['batching'], llama: Pick<Llama, 'gpu'>): 'on' | 'off' {
  if (asked !== 'auto') return asked
  return llama.gpu === false ? 'off' : 'on'
}

async function createContexts (model: LlamaModel, data: LlamaWorkerData, batching: 'on' | 'off'): Promise<LlamaContext[]> {
  const sequences = Math.max(data.contexts, data.cachedSequences)
  // contextSize is per sequence in this node-llama-cpp (the context holds sequences × contextSize
  // cells, each sequence its own), so a conversation's room is the same either way.
  // Threads always explicit: node-llama-cpp's default (4 or more) runs 60× slower on a busy CPU.
  // Batching on as node-llama-cpp does it by default: the sequences' pending tokens go into one
  // batch at the next event-loop cycle, as many sequences as possible in each
  if (batching === 'on') return [await model.createContext({ contextSize: data.contextSize, threads: data.threads, sequences })]
  const contexts: LlamaContext[] = []
  for (let i = 0; i < sequences; i++) contexts.push(await model.createContext({ contextSize: data.contextSize, threads: data.threads, sequences: 1 }))
  return contexts
}

/** Never rejects: a thread that failed to load answers every task with the load error instead. */
async function start (data: LlamaWorkerData): Promise<TaskHandler> {
  let loaded: WorkerModel
  let batching: 'on' | 'off'
  try {
    ({ model: loaded, batching } = await load(data))
  } catch (err) {
    const error = failed(err)
    return async () => error
  }
  return async (task) => {
    switch (task.type) {
      case 'ready': return { type: 'loaded', threadId, backend: loaded.backend, contextSize: loaded.contextSize, build: loaded.build, batching }
      case 'generate': return await loaded.generate(task)
      case 'save-caches': return await loaded.saveCaches(task.cacheKeys)
      case 'embed': return await loaded.embed(task.texts)
      default: return assertNever(task, 'task')
    }
  }
}

export default start(workerData as LlamaWorkerData)
