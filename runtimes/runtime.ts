/**
 * The inference contract every runtime implements: llama.cpp in a worker pool
 * (runtimes/llama/), or any OpenAI-compatible HTTP server (runtimes/openai/). Requests and
 * results are plain data so that they can cross a worker or, later, the wire.
 */

/** One turn of a conversation, as chat APIs know it. */
export interface ChatTurn {
  readonly role: 'system' | 'user' | 'assistant'
  readonly content: string
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
}

/** 'eos': the model ended its answer; 'max-tokens': params.maxTokens reached; 'cancelled': the
 * AbortSignal fired (the text so far is kept); 'context-full': the context window filled up. */
export type StopReason = 'eos' | 'max-tokens' | 'cancelled' | 'context-full'

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
}
