import { UnknownModelError } from '../../runtimes/index.ts'
import type { ChatTurn, GenerateRequest, GenerateResult, ModelManager, ModelRegistry, SamplingParams } from '../../runtimes/index.ts'
import type { AgentAnswer, AgentInference, AgentPrompt } from '../../actors/index.ts'
import { NoModelError } from './errors.ts'
import type { UsageLimiter } from './usage-limiter.ts'
import { tracedTurn } from './turn-spans.ts'
import { NO_SPANS } from '../tracing/index.ts'
import type { Spans } from '../tracing/index.ts'

/** The tool fields of a request (GenerateRequest's). */
type ToolFields = Partial<Pick<GenerateRequest, 'tools' | 'toolChoice'>>

export interface InferenceServiceDeps {
  readonly registry: ModelRegistry
  readonly manager: ModelManager
  readonly limiter: UsageLimiter
  /** config `default-model`; undefined: the first ready model by name. */
  readonly defaultModel?: string
  /** Counts requests that failed before or while running, for metrics. */
  readonly onError?: (model: string, err: unknown) => void
  /** A member that has a model loaded answers for this node when this node has not loaded it. */
  readonly forwarding?: {
    warmPeer (model: string, key: string): string | undefined
    generate (peer: string, user: string, model: string, request: GenerateRequest, onText: (text: string) => void, signal?: AbortSignal): Promise<GenerateResult>
  }
  /** An agent's turn is a span with its phases (turn-spans.ts). @default none */
  readonly spans?: Spans
}

/**
 * The node's one way into inference, for agents and for the OpenAI-compatible endpoint: applies
 * each user's limits (requests and tokens per minute), picks the model, and runs the request
 * through the model manager (which loads on demand and queues).
 */
export class InferenceService implements AgentInference {
  readonly #deps: InferenceServiceDeps

  constructor (deps: InferenceServiceDeps) {
    this.#deps = deps
  }

  /** The model agents use unless they chose one. */
  defaultModel (): string {
    const configured = this.#deps.defaultModel
    if (configured !== undefined) return configured
    const first = this.models()[0]
    if (first === undefined) throw new NoModelError(`no usable model in ${this.#deps.registry.dir}: put a GGUF file there, or run plexi model gen-tiny`)
    return first
  }

  /** The models that are ready, by name, sorted. */
  models (): string[] {
    return this.#deps.registry.list().filter((m) => m.status === 'ready').map((m) => m.name).sort()
  }

  checkModel (model: string): void {
    const entry = this.#deps.registry.get(model)
    if (entry === undefined) throw new UnknownModelError(`no model named ${model}; see plexi admin models ls`)
    if (entry.status !== 'ready') throw new UnknownModelError(`model ${model} is not usable: ${entry.error ?? 'invalid'}`)
  }

  /** An agent's turn. Its prompt's tools, tool choice and tool turns (when the agent has them)
   * go to the model as they are, and its calls come back in the answer. */
  async generate (user: string, model: string, prompt: AgentPrompt, onToken: (text: string) => void,
    options: { readonly signal: AbortSignal, readonly onQueued: (position: number) => void, readonly cacheKey: string }): Promise<Omit<AgentAnswer, 'requestId'>> {
    const name = model.length > 0 ? model : this.defaultModel()
    const { maxTokens, temperature, topP, topK } = prompt.sampling
    const { tools, toolChoice } = prompt as AgentPrompt & ToolFields
    const result = await tracedTurn(this.#deps.spans ?? NO_SPANS, { 'plexi.user': user, 'gen_ai.request.model': name, 'gen_ai.request.max_tokens': maxTokens }, async () =>
      await this.complete(user, name, prompt.messages, { maxTokens, temperature, topP, topK }, onToken,
        { ...options, ...(tools !== undefined && { tools }), ...(toolChoice !== undefined && { toolChoice }) }))
    const { text, stopReason, promptTokens, completionTokens, droppedTurns, ttftMs, durationMs, cache, toolCalls } = result
    const answer = {
      model: name,
      text,
      stopReason,
      promptTokens,
      completionTokens,
      droppedTurns,
      ttftMs,
      durationMs,
      ...(cache !== undefined && { cachedTokens: cache.reusedTokens, cache: cache.source })
    }
    return toolCalls === undefined ? answer : Object.assign(answer, { toolCalls })
  }

  /** A stateless completion on a named model (the OpenAI endpoint's raw models); `tools` and
   * `toolChoice` as GenerateRequest has them. */
  async complete (user: string, model: string, messages: readonly ChatTurn[], params: SamplingParams, onToken: (text: string) => void,
    options: { readonly signal?: AbortSignal, readonly onQueued?: (position: number) => void, readonly cacheKey?: string } & ToolFields = {}): Promise<GenerateResult> {
    const { limiter, manager } = this.#deps
    this.checkModel(model)
    limiter.admit(user)
    try {
      const { cacheKey, tools, toolChoice } = options
      const request: GenerateRequest = {
        input: { messages },
        params,
        ...(cacheKey !== undefined && { cacheKey }),
        ...(tools !== undefined && { tools }),
        ...(toolChoice !== undefined && { toolChoice })
      }
      const forwarding = this.#deps.forwarding
      const peer = forwarding?.warmPeer(model, cacheKey ?? user)
      if (forwarding !== undefined && peer !== undefined) {
        try {
          const result = await forwarding.generate(peer, user, model, request, onToken, options.signal)
          limiter.charge(user, result.completionTokens)
          return result
        } catch (err) {
          // it would not take it (busy, or no longer has the model): this node loads it
          if ((err as Error | undefined)?.name !== 'ModelNotWarmError') throw err
        }
      }
      const result = await manager.generate(model, request, onToken, { ...options, user })
      limiter.charge(user, result.completionTokens)
      return result
    } catch (err) {
      this.#deps.onError?.(model, err)
      throw err
    }
  }
}
