import { resolveChatWrapper } from 'node-llama-cpp'
import type { ChatModelFunctions, ChatWrapper, Llama, LlamaContext, LlamaEmbeddingContext, LlamaModel, Token } from 'node-llama-cpp'
import { errorData } from '../../protocols/index.ts'
import { PromptTooLongError } from '../errors.ts'
import type { ChatTurn, GenerateResult } from '../runtime.ts'
import { ArgumentValidators } from './argument-validators.ts'
import { CallSyntax } from './call-syntax.ts'
import { chatHistory } from './chat-history.ts'
import { fitChatPrompt } from './chat-prompt.ts'
import { EMBED_CONTEXT_SIZE } from './constants.ts'
import { ContextSlots } from './context-slots.ts'
import type { CacheSlot, Taken } from './context-slots.ts'
import { Generation } from './generation.ts'
import type { ToolPlan } from './generation.ts'
import type { LlamaTask, LlamaTaskResult, LlamaWorkerData } from './llama-protocol.ts'
import { RequestPort } from './request-port.ts'
import { ToolGrammars } from './tool-grammars.ts'
import { grammarSchema, toolFunctions } from './tool-schema.ts'

export type GenerateTask = Extract<LlamaTask, { type: 'generate' }>

/** A request's prompt as tokens, and what the formatting decided. */
interface Prompt {
  readonly tokens: readonly Token[]
  readonly droppedTurns: number
  readonly stops: readonly string[]
  /** The last turn is the assistant's and ends with a call's opening. */
  readonly primed: boolean
}

/** The model loaded in a worker thread, its chat template and its contexts, whose sequences hold
 * the conversations (ContextSlots), and the generation of one request in one of them: requests
 * running at once in sequences of one context are evaluated in one batch by llama.cpp, those in
 * contexts of their own apart. */
export class WorkerModel {
  readonly backend: string
  readonly contextSize: number
  readonly build: string
  readonly #model: LlamaModel
  readonly #chatWrapper: ChatWrapper
  readonly #slots: ContextSlots
  readonly #grammars: ToolGrammars
  readonly #validators = new ArgumentValidators()
  #syntax: CallSyntax | undefined
  #stops: readonly string[] | undefined
  readonly #embedThreads: number
  /** Made on the first embed task (search's semantic side), then kept; one text at a time. */
  #embedding: Promise<LlamaEmbeddingContext> | undefined

  /** `contexts`: every one of their sequences becomes a slot (none may be taken before): one
   * context of N sequences (batching on) or N contexts of one (off). */
  constructor (llama: Llama, model: LlamaModel, contexts: readonly LlamaContext[], build: string, kvState: LlamaWorkerData['kvState'], embedThreads = 1) {
    this.backend = llama.gpu === false ? 'cpu' : llama.gpu
    this.#embedThreads = embedThreads
    this.build = build
    this.#model = model
    // the model's own template when it has one; GeneralChatWrapper when it has none
    this.#chatWrapper = resolveChatWrapper(model)
    this.#grammars = new ToolGrammars(llama)
    // llama.cpp may round the size up (to a multiple of 256); the real one, each sequence's, bounds
    // the prompt
    this.contextSize = Math.min(...contexts.map((context) => context.contextSize))
    const sequences = contexts.flatMap((context) => Array.from({ length: context.sequencesLeft }, () => context.getSequence()))
    this.#slots = new ContextSlots(sequences, { kvState, build, contextSize: this.contextSize })
  }

  /** One vector per text from the model's embedding context; a text longer than it is cut to its
   * first tokens (what an embedding of a post needs: its start says what it is about). */
  async embed (texts: readonly string[]): Promise<LlamaTaskResult> {
    try {
      const size = Math.min(EMBED_CONTEXT_SIZE, this.#model.trainContextSize)
      this.#embedding ??= this.#model.createEmbeddingContext({ contextSize: size, threads: this.#embedThreads })
      const context = await this.#embedding
      const vectors: Float32Array[] = []
      for (const text of texts) {
        // room for the BOS and EOS tokens node-llama-cpp adds (it refuses input as long as the context)
        const tokens = this.#model.tokenize(text).slice(0, size - 2)
        vectors.push(Float32Array.from((await context.getEmbeddingFor(tokens)).vector))
      }
      return { type: 'embedded', vectors }
    } catch (err) {
      this.#embedding = undefined
      return { type: 'failed', error: errorData(err) }
    }
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
    const { params, cacheKey } = task
    const started = performance.now()
    const port = new RequestPort(task.port)
    try {
      const prompt = this.#prompt(task)
      const plan = this.#plan(task, prompt.primed)
      const reused = await this.#reuse(slot, prompt.tokens, cacheKey)
      port.readControl()
      const generation = new Generation(this.#model, slot.sequence, port, { params, contextSize: this.contextSize, used: reused })
      const generated = port.cancelled
        ? { stopReason: 'cancelled' as const, completionTokens: 0, firstTokenAt: undefined }
        : await generation.run(prompt.tokens.slice(reused), prompt.stops, plan)
      port.flush()
      if (port.unexpected !== undefined) throw new TypeError(`unexpected control message ${JSON.stringify(port.unexpected)}`)
      const ended = performance.now()
      return {
        text: port.text,
        stopReason: generated.stopReason,
        promptTokens: prompt.tokens.length,
        completionTokens: generated.completionTokens,
        droppedTurns: prompt.droppedTurns,
        ttftMs: (generated.firstTokenAt ?? ended) - started,
        durationMs: ended - started,
        ...(cacheKey !== undefined && {
          cache: {
            source: taken.source === 'memory' && reused === 0 ? 'miss' : taken.source,
            reusedTokens: reused,
            restoredBytes: taken.restoredBytes,
            ...(taken.restoreFailure !== undefined && { restoreFailure: taken.restoreFailure })
          }
        }),
        ...(generated.toolCalls !== undefined && { toolCalls: generated.toolCalls })
      }
    } finally {
      port.close()
    }
  }

  /** How the answer may call the request's tools; none with tool choice "none" (the model is shown
   * them all the same, so that its prompt, and its KV cache, stay the same across choices). */
  #plan (task: GenerateTask, primed: boolean): ToolPlan | undefined {
    const tools = task.tools ?? []
    const choice = task.toolChoice ?? 'auto'
    if (tools.length === 0 || choice === 'none') return undefined
    const strict = choice !== 'auto'
    return {
      choice,
      syntax: this.#callSyntax,
      tools: tools.map((tool) => ({ tool, schema: grammarSchema(tool, strict) })),
      primed,
      grammars: this.#grammars,
      ...(strict && { check: (tool, args) => { this.#validators.check(tool, args) } })
    }
  }

  get #callSyntax (): CallSyntax {
    this.#syntax ??= new CallSyntax(this.#chatWrapper, this.#model)
    return this.#syntax
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

  #prompt ({ input, params, tools, toolChoice }: GenerateTask): Prompt {
    const asked = params.stop ?? []
    if ('prompt' in input) {
      const tokens = this.#withBos(this.#model.tokenize(input.prompt))
      // the context must hold the prompt and the first generated token
      if (tokens.length >= this.contextSize) throw new PromptTooLongError(`the prompt is ${tokens.length} tokens; the context holds ${this.contextSize}, the answer included`)
      return { tokens, droppedTurns: 0, stops: asked, primed: false }
    }
    const functions = tools !== undefined && tools.length > 0 ? toolFunctions(tools, toolChoice !== undefined && toolChoice !== 'auto' && toolChoice !== 'none') : undefined
    const fitted = fitChatPrompt(input.messages, {
      contextSize: this.contextSize,
      room: params.maxTokens,
      format: (turns) => this.#format(turns, functions)
    })
    const last = input.messages.at(-1)
    const primed = functions !== undefined && last?.role === 'assistant' && last.toolCalls === undefined && this.#callSyntax.opens(last.content)
    return { ...fitted, stops: [...this.#templateStops, ...asked], primed }
  }

  #format (turns: readonly ChatTurn[], functions: ChatModelFunctions | undefined): readonly Token[] {
    const state = this.#chatWrapper.generateContextState({ chatHistory: chatHistory(turns), ...(functions !== undefined && { availableFunctions: functions, documentFunctionParams: true }) })
    return this.#withBos(state.contextText.tokenize(this.#model.tokenizer))
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
