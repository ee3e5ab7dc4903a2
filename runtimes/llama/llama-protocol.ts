/**
 * What LlamaRuntime (main thread) and llama-worker.ts (Piscina worker threads) say to each other.
 * Everything is plain data: tasks and results cross the worker through Piscina, the text of one
 * request streams back over a MessagePort transferred with its task.
 */
import type { MessagePort } from 'node:worker_threads'
import type { ErrorData } from '../../protocols/index.ts'
import type { GenerateInput, GenerateResult, SamplingParams } from '../runtime.ts'

/** Each worker's `workerData`: it loads the model once, then serves tasks. */
export interface LlamaWorkerData {
  /** The model's name in the registry, for error messages. */
  readonly name: string
  readonly file: string
  readonly gpu: 'auto' | 'cuda' | 'off'
  /** llama contexts the worker creates, one per request it runs at once. */
  readonly contexts: number
  /** llama.cpp threads per context. */
  readonly threads: number
  /** Tokens per context, as asked for (llama.cpp may round it up). */
  readonly contextSize: number
}

export type LlamaTask =
  /** Resolves once the worker has loaded the model (or failed to). */
  | { readonly type: 'ready' }
  /** `port`: the worker posts LlamaStreamMessage on it and reads LlamaControlMessage from it. */
  | { readonly type: 'generate', readonly input: GenerateInput, readonly params: SamplingParams, readonly port: MessagePort }

/** The worker never throws across Piscina (the error would lose its class); failures are data. */
export type LlamaTaskResult =
  | {
    readonly type: 'loaded'
    readonly threadId: number
    /** 'cpu', 'cuda', 'vulkan' or 'metal': what llama.cpp computes on. */
    readonly backend: string
    /** Tokens per context as llama.cpp made it. */
    readonly contextSize: number
  }
  | { readonly type: 'generated', readonly result: GenerateResult }
  | { readonly type: 'failed', readonly error: ErrorData }

/** Worker → runtime, on a request's port, in order. */
export type LlamaStreamMessage =
  | { readonly type: 'text-generated', readonly text: string }

/** Runtime → worker, on a request's port. */
export type LlamaControlMessage =
  | { readonly type: 'cancel' }
