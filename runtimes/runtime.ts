import type { ToolCall, ToolChoice } from '../protocols/index.ts'

/**
 * The inference contract every runtime implements: llama.cpp in a worker pool
 * (runtimes/llama/), or any OpenAI-compatible HTTP server (runtimes/openai/). Requests and
 * results are plain data so that they can cross a worker or, later, the wire.
 */

/** One turn of a conversation, as chat APIs know it. */
export interface ChatTurn {
  readonly role: 'system' | 'user' | 'assistant' | 'tool'
  readonly content: string
  /** An assistant turn that called tools: the calls (its content may be empty). */
  readonly toolCalls?: readonly ToolCall[]
  /** A tool turn: the call it answers (its content is the result's text). */
  readonly toolCallId?: string
}

/** A tool a generation may call, as the model is shown it (OpenAI's `tools[].function`). */
export interface ToolDefinition {
  /** A function name: [a-zA-Z0-9_-], at most 64 characters. */
  readonly name: string
  readonly description: string
  /** The JSON schema of its arguments (an object schema). */
  readonly parameters: Readonly<Record<string, unknown>>
}

export interface SamplingParams {
  /** Most tokens to generate. */
  readonly maxTokens: number
  /** 0: greedy. */
  readonly temperature: number
  /** 1: off. */
  readonly topP: number
  /** 0: off. */
  readonly topK: number
  /** Makes sampling with temperature > 0 repeatable. */
  readonly seed?: number
  /** Strings that end the answer (not included in it), besides the chat template's own. */
  readonly stop?: readonly string[]
}

/**
 * A raw prompt is sent as is. Chat messages are formatted by the runtime (the model's own chat
 * template where it has one) and, when they do not fit the context with room for `maxTokens`,
 * the oldest non-system turns are dropped first; the system turn and the last turn are kept.
 */
export type GenerateInput =
  | { readonly prompt: string }
  | { readonly messages: readonly ChatTurn[] }

export interface GenerateRequest {
  readonly input: GenerateInput
  readonly params: SamplingParams
  /**
   * Names the conversation this request continues (an agent's key). A runtime that keeps KV
   * caches (llama.cpp) runs requests with one key where the previous one ran and evaluates only
   * the tokens that differ from what its cache holds; without one, or in any doubt, it evaluates
   * the whole prompt. The key never changes an answer, only how much work it takes.
   */
  readonly cacheKey?: string
  /** Tools the model may call (none: it only answers). */
  readonly tools?: readonly ToolDefinition[]
  /** Which of them it may or must call (@default 'auto' when tools are given). A forced call's
   * arguments always validate against the tool's schema: the runtime constrains the output. */
  readonly toolChoice?: ToolChoice
}

/** How a request with a cacheKey used the KV cache. */
export interface CacheUse {
  /** 'memory': its sequence was still in a context; 'disk': restored from a saved state; 'miss':
   * evaluated from the start (never seen, evicted without a saved state, or the state refused). */
  readonly source: 'memory' | 'disk' | 'miss'
  /** Prompt tokens taken from the cache, not evaluated again. */
  readonly reusedTokens: number
  /** Bytes of saved state read (source 'disk'). */
  readonly restoredBytes: number
  /** Why a saved state was there but not used (another model, another llama.cpp build, damaged). */
  readonly restoreFailure?: string
}

/** 'eos': the model ended its answer (its end-of-turn token or a stop string); 'max-tokens': params.maxTokens reached; 'cancelled': the
 * AbortSignal fired (the text so far is kept); 'context-full': the context window filled up;
 * 'tool-calls': the model called tools (GenerateResult.toolCalls) and waits for their results. */
export type StopReason = 'eos' | 'max-tokens' | 'cancelled' | 'context-full' | 'tool-calls'

export interface GenerateResult {
  /** The whole generated text (what was passed to onToken, concatenated). */
  readonly text: string
  readonly stopReason: StopReason
  readonly promptTokens: number
  readonly completionTokens: number
  /** Chat turns left out because they did not fit the context (oldest first). */
  readonly droppedTurns: number
  /** ms from the runtime starting the request to the first token (the whole duration if none). */
  readonly ttftMs: number
  /** ms from the runtime starting the request to its end. */
  readonly durationMs: number
  /** Requests with a cacheKey on a runtime that keeps KV caches. */
  readonly cache?: CacheUse
  /** The tools the model called (stopReason 'tool-calls'), arguments parsed. */
  readonly toolCalls?: readonly ToolCall[]
}

export type RuntimeKind = 'llama.cpp' | 'openai-http'

export interface RuntimeInfo {
  readonly kind: RuntimeKind
  /** The model's name in the registry. */
  readonly model: string
  readonly loaded: boolean
  /** Tokens one request may use, prompt and answer together. */
  readonly contextSize: number
  /** Requests the runtime runs at once; callers queue beyond it. */
  readonly slots: number
  /** Estimated memory held while loaded (0 for a remote server), for the models' memory budget. */
  readonly memoryBytes: number
  /** Where it computes: 'cpu', 'cuda', 'vulkan', or the server's base URL. */
  readonly backend: string
  /** llama.cpp only: 'on', the requests a worker runs at once are sequences of one context,
   * evaluated in one batch; 'off', a context each. Absent before a load resolves 'auto'. */
  readonly batching?: 'on' | 'off'
}

/** Called with each piece of text as it is generated, in order. */
export type TokenSink = (text: string) => void

export interface Runtime {
  /** Idempotent; resolves when `generate` can run. */
  load (): Promise<void>
  /**
   * Runs one request. At most `info().slots` may run at once. Cancellation through `signal`
   * stops within one token and resolves with stopReason 'cancelled'. Rejects with an error named
   * as in runtimes/errors.ts.
   */
  generate (request: GenerateRequest, onToken: TokenSink, signal?: AbortSignal): Promise<GenerateResult>
  /** Idempotent; requests in flight fail with InferenceUnavailableError. */
  unload (): Promise<void>
  info (): RuntimeInfo
  /** Runtimes that keep KV caches on disk: saves the caches of these conversations that are in
   * memory (and not in use) and says which were saved. */
  saveCaches? (cacheKeys: readonly string[]): Promise<ReadonlyArray<{ readonly cacheKey: string, readonly bytes: number }>>
  /** A saved state for the conversation arrived from elsewhere (its agent moved here): its next
   * request restores it, in place of an older cache this runtime may hold in memory. */
  savedStateArrived? (cacheKey: string, bytes: number): void
  /** Runtimes that can embed (llama.cpp's embedding context on the loaded model): one vector per
   * text, in order, each as long as `embeddingLength`. A text longer than the embedding context is
   * cut to fit. Search's semantic side uses it (node/search). */
  embed? (texts: readonly string[]): Promise<Float32Array[]>
}
