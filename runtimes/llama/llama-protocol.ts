/**
 * What LlamaRuntime (main thread) and llama-worker.ts (Piscina worker threads) say to each other.
 * Everything is plain data: tasks and results cross the worker through Piscina, the text of one
 * request streams back over a MessagePort transferred with its task.
 */
import type { MessagePort } from 'node:worker_threads'
import type { ErrorData } from '../../protocols/index.ts'
import type { GenerateInput, GenerateRequest, GenerateResult, SamplingParams } from '../runtime.ts'

/** Each worker's `workerData`: it loads the model once, then serves tasks. */
export interface LlamaWorkerData {
  /** The model's name in the registry, for error messages. */
  readonly name: string
  readonly file: string
  readonly gpu: 'auto' | 'cuda' | 'off'
  /** 'on': one llama context whose sequences hold the conversations, the requests running at once
   * evaluated in one batch; 'off': a context of one sequence per conversation, each evaluated on
   * its own threads; 'auto': 'on' when the backend the worker resolved is a GPU, else 'off'. */
  readonly batching: 'auto' | 'on' | 'off'
  /** Requests the worker runs at once, a sequence each of its llama context(s). */
  readonly contexts: number
  /** llama.cpp threads of each of the worker's contexts (with batching on, all its sequences'). */
  readonly threads: number
  /** Tokens per sequence, as asked for (llama.cpp may round it up). */
  readonly contextSize: number
  /** Conversations whose KV cache the worker keeps in memory: a sequence of its context each, at
   * least `contexts` (the extra ones only hold caches; at most `contexts` requests run at once). */
  readonly cachedSequences: number
  /** Where a conversation's KV cache is saved when its sequence is taken for another (and on
   * unload), and what a saved state must match to be loaded; none: caches are only kept in memory. */
  readonly kvState?: { readonly dir: string, readonly modelSha256: string }
}

/** A KV cache the worker saved to the kvState dir. */
export interface SavedKvState {
  readonly cacheKey: string
  readonly bytes: number
  readonly tokens: number
}

export type LlamaTask =
  /** Resolves once the worker has loaded the model (or failed to). */
  | { readonly type: 'ready' }
  /** `port`: the worker posts LlamaStreamMessage on it and reads LlamaControlMessage from it. */
  | {
    readonly type: 'generate'
    readonly input: GenerateInput
    readonly params: SamplingParams
    /** GenerateRequest.cacheKey: reuse (and keep) this conversation's KV cache. */
    readonly cacheKey?: string
    /** GenerateRequest.tools and toolChoice, checked already (check-generate-request.ts). */
    readonly tools?: GenerateRequest['tools']
    readonly toolChoice?: GenerateRequest['toolChoice']
    /** A newer saved state of the conversation arrived (its agent moved here): restore it rather
     * than use a cache of it this worker may still hold in memory. */
    readonly preferSaved?: boolean
    readonly port: MessagePort
  }
  /** Saves the KV caches of `cacheKeys` (every cache held, when absent) that the worker holds in
   * memory and that are not in use, to the kvState dir. */
  | { readonly type: 'save-caches', readonly cacheKeys?: readonly string[] }
  /** Embeds each text with the model's embedding context (made on first use). */
  | { readonly type: 'embed', readonly texts: readonly string[] }

/** The worker never throws across Piscina (the error would lose its class); failures are data. */
export type LlamaTaskResult =
  | {
    readonly type: 'loaded'
    readonly threadId: number
    /** 'cpu', 'cuda', 'vulkan' or 'metal': what llama.cpp computes on. */
    readonly backend: string
    /** Tokens per sequence as llama.cpp made it. */
    readonly contextSize: number
    /** How the worker holds its sequences, 'auto' resolved for its backend. */
    readonly batching: 'on' | 'off'
    /** The llama.cpp release and node-llama-cpp version: saved KV states are only loaded by the
     * build that wrote them. */
    readonly build: string
  }
  | {
    readonly type: 'generated'
    readonly result: GenerateResult
    /** Caches saved to make room for this request's (an eviction). */
    readonly saved: readonly SavedKvState[]
    /** Saved states this request read or refused (and removed), by cache key. */
    readonly read?: { readonly cacheKey: string, readonly removed: boolean }
  }
  | { readonly type: 'caches-saved', readonly saved: readonly SavedKvState[], readonly failures: readonly string[] }
  | { readonly type: 'embedded', readonly vectors: readonly Float32Array[] }
  | { readonly type: 'failed', readonly error: ErrorData }

/** Worker → runtime, on a request's port, in order. */
export type LlamaStreamMessage =
  | { readonly type: 'text-generated', readonly text: string }

/** Runtime → worker, on a request's port. */
export type LlamaControlMessage =
  | { readonly type: 'cancel' }
