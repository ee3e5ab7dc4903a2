import { resolveChatWrapper } from 'node-llama-cpp'
import type { ChatWrapper, Llama, LlamaContext, LlamaContextSequence, LlamaModel, Token } from 'node-llama-cpp'
import { errorData } from '../../protocols/index.ts'
import { PromptTooLongError } from '../errors.ts'
import type { GenerateInput, GenerateResult, SamplingParams, StopReason } from '../runtime.ts'
import { chatHistory } from './chat-history.ts'
import { fitChatPrompt } from './chat-prompt.ts'
import { ContextSlots } from './context-slots.ts'
import type { CacheSlot, Taken } from './context-slots.ts'
import type { LlamaTask, LlamaTaskResult, LlamaWorkerData } from './llama-protocol.ts'
import { PieceDecoder } from './piece-decoder.ts'
import { RequestPort } from './request-port.ts'
import { StopStringDetector } from './stop-string-detector.ts'

export type GenerateTask = Extract<LlamaTask, { type: 'generate' }>

/** What the evaluation of one request made. */
interface Evaluation {
  readonly stopReason: StopReason
  readonly completionTokens: number
  readonly firstTokenAt: number | undefined
}

/** The model loaded in a worker thread, its chat template and its contexts (ContextSlots), and
 * the generation of one request in one of them. */
export class WorkerModel {
  readonly backend: string
  readonly contextSize: number
  readonly build: string
  readonly #model: LlamaModel
  readonly #chatWrapper: ChatWrapper
  readonly #slots: ContextSlots
  #stops: readonly string[] | undefined

  constructor (llama: Llama, model: LlamaModel, contexts: readonly LlamaContext[], build: string, kvState: LlamaWorkerData['kvState']) {
    this.backend = llama.gpu === false ? 'cpu' : llama.gpu
    this.build = build
    this.#model = model
    // the model's own template when it has one; GeneralChatWrapper when it has none
    this.#chatWrapper = resolveChatWrapper(model)
    // llama.cpp may round the size up (to a multiple of 256); the real one bounds the prompt
    this.contextSize = Math.min(...contexts.map((context) => context.contextSize))
    this.#slots = new ContextSlots(contexts.map((context) => context.getSequence()), { kvState, build, contextSize: this.contextSize })
  }

  async generate (task: GenerateTask): Promise<LlamaTaskResult> {
    let taken: Taken
    try {
      taken = await this.#slots.take(task.cacheKey, task.preferSaved === true)
    } catch (err) {
      return failed(err)
    }
    const { slot } = taken
    try {
      const result = await this.#run(slot, task, taken)
      return { type: 'generated', result, saved: taken.saved, ...(taken.read !== undefined && { read: taken.read }) }
    } catch (err) {
      await this.#slots.forget(slot)
      return failed(err)
    } finally {
      this.#slots.release(slot)
    }
  }

  /** Saves the KV caches asked for that are held in a free slot. */
  async saveCaches (keys: readonly string[] | undefined): Promise<LlamaTaskResult> {
    return await this.#slots.saveCaches(keys)
  }

  async #run (slot: CacheSlot, task: GenerateTask, taken: Taken): Promise<GenerateResult> {
    const { input, params, cacheKey } = task
    const started = performance.now()
    const port = new RequestPort(task.port)
    try {
      const { tokens: prompt, droppedTurns, stops } = this.#prompt(input, params)
      const reused = await this.#reuse(slot, prompt, cacheKey)
      port.readControl()
      const evaluation = await this.#evaluate(slot.sequence, prompt, reused, params, stops, port)
      port.flush()
      if (port.unexpected !== undefined) throw new TypeError(`unexpected control message ${JSON.stringify(port.unexpected)}`)
      const ended = performance.now()
      return {
        text: port.text,
        stopReason: evaluation.stopReason,
        promptTokens: prompt.length,
        completionTokens: evaluation.completionTokens,
        droppedTurns,
        ttftMs: (evaluation.firstTokenAt ?? ended) - started,
        durationMs: ended - started,
        ...(cacheKey !== undefined && {
          cache: {
            source: taken.source === 'memory' && reused === 0 ? 'miss' : taken.source,
            reusedTokens: reused,
            restoredBytes: taken.restoredBytes,
            ...(taken.restoreFailure !== undefined && { restoreFailure: taken.restoreFailure })
          }
        })
      }
    } finally {
      port.close()
    }
  }

  /** Prompt tokens the context holds already. Without a cache key nothing is kept: the whole
   * prompt is evaluated, as it always was. With one, only what differs from the cache; at least
   * the last prompt token, whose evaluation gives the first answer token. */
  async #reuse (slot: CacheSlot, prompt: readonly Token[], cacheKey: string | undefined): Promise<number> {
    const sequence = slot.sequence
    if (cacheKey === undefined) {
      await sequence.clearHistory()
      return 0
    }
    const reused = Math.min(sequence.compareContextTokens([...prompt]).firstDifferentIndex, prompt.length - 1)
    if (reused < sequence.nextTokenIndex) await sequence.eraseContextTokenRanges([{ start: reused, end: sequence.nextTokenIndex }])
    slot.key = cacheKey
    return reused
  }

  /** Evaluates the prompt from `reused` on and samples the answer into `port`, until an end of
   * text, a stop string, maxTokens, a full context or a cancel. */
  async #evaluate (sequence: LlamaContextSequence, prompt: readonly Token[], reused: number, params: SamplingParams, stops: readonly string[], port: RequestPort): Promise<Evaluation> {
    const decoder = new PieceDecoder<Token>((tokens, lastTokens) => this.#model.detokenize(tokens, false, lastTokens))
    const stopper = new StopStringDetector(stops)
    let completionTokens = 0
    let firstTokenAt: number | undefined
    // llama.cpp ends an evaluation by itself only when it produced no next token
    let stopReason: StopReason = port.cancelled ? 'cancelled' : 'eos'
    let stoppedAtString = false
    const tokens = port.cancelled
      ? []
      : sequence.evaluate(prompt.slice(reused), {
        temperature: params.temperature,
        topK: params.topK,
        topP: params.topP,
        seed: params.seed,
        // otherwise evaluate() ends silently at an EOG token and 'eos' cannot be told apart
        yieldEogToken: true
      })
    for await (const token of tokens) {
      if (port.cancelled) { stopReason = 'cancelled'; break }
      if (this.#model.isEogToken(token)) { stopReason = 'eos'; break }
      completionTokens++
      firstTokenAt ??= performance.now()
      const shown = stopper.push(decoder.push(token))
      port.write(shown.text)
      if (shown.stopped) { stopReason = 'eos'; stoppedAtString = true; break }
      if (completionTokens >= params.maxTokens) { stopReason = 'max-tokens'; break }
      // Evaluating this token (to sample the next) needs a free cell; with none left,
      // node-llama-cpp would silently shift the context and forget the prompt's start.
      if (prompt.length + completionTokens >= this.contextSize) { stopReason = 'context-full'; break }
    }
    if (!stoppedAtString) {
      // a stop string may end inside text the decoder or the detector still holds
      const rest = stopper.push(decoder.flush())
      port.write(rest.text)
      if (!rest.stopped) port.write(stopper.flush())
    }
    return { stopReason, completionTokens, firstTokenAt }
  }

  #prompt (input: GenerateInput, params: SamplingParams): { tokens: readonly Token[], droppedTurns: number, stops: readonly string[] } {
    const asked = params.stop ?? []
    if ('prompt' in input) {
      const tokens = this.#withBos(this.#model.tokenize(input.prompt))
      // the context must hold the prompt and the first generated token
      if (tokens.length >= this.contextSize) throw new PromptTooLongError(`the prompt is ${tokens.length} tokens; the context holds ${this.contextSize}, the answer included`)
      return { tokens, droppedTurns: 0, stops: asked }
    }
    const fitted = fitChatPrompt(input.messages, {
      contextSize: this.contextSize,
      room: params.maxTokens,
      format: (turns) => this.#withBos(this.#chatWrapper.generateContextState({ chatHistory: chatHistory(turns) }).contextText.tokenize(this.#model.tokenizer))
    })
    return { ...fitted, stops: [...this.#templateStops, ...asked] }
  }

  /** The chat template's stop strings that are plain text (its special tokens are end-of-turn
   * tokens, which end an answer already). */
  get #templateStops (): readonly string[] {
    this.#stops ??= this.#chatWrapper.generateContextState({ chatHistory: chatHistory([{ role: 'user', content: '' }]) }).stopGenerationTriggers
      .filter((trigger) => trigger.values.every((value) => typeof value === 'string'))
      .map((trigger) => trigger.values.join(''))
    return this.#stops
  }

  /** `model.tokenize` never adds BOS, while chat templates usually write it themselves. */
  #withBos (tokens: readonly Token[]): readonly Token[] {
    const bos = this.#model.tokens.bos
    if (bos === null || !this.#model.tokens.shouldPrependBosToken || tokens[0] === bos) return tokens
    return [bos, ...tokens]
  }
}

/** A failure as a task result: an Error loses its class crossing the thread. */
export function failed (err: unknown): LlamaTaskResult {
  return { type: 'failed', error: errorData(err) }
}
