/**
 * The Piscina worker behind LlamaRuntime. Its default export is a promise of the task handler, so
 * Piscina reports the thread ready only after it has loaded llama.cpp and the model (once per
 * thread) and made its contexts, one per request it may run at once, reused across requests.
 * Failures are returned as data, never thrown: an Error loses its class crossing the thread.
 */
import { receiveMessageOnPort, threadId, workerData } from 'node:worker_threads'
import { LlamaLogLevel, NoBinaryFoundError, getLlama, resolveChatWrapper } from 'node-llama-cpp'
import type { ChatHistoryItem, ChatWrapper, Llama, LlamaContext, LlamaContextSequence, LlamaModel, Token } from 'node-llama-cpp'
import { assertNever } from '../../protocols/index.ts'
import { InferenceUnavailableError, PromptTooLongError } from '../errors.ts'
import { errorData } from '../../protocols/index.ts'
import type { ChatTurn, GenerateInput, GenerateResult, SamplingParams, StopReason } from '../runtime.ts'
import { fitChatPrompt } from './chat-prompt.ts'
import type { LlamaControlMessage, LlamaStreamMessage, LlamaTask, LlamaTaskResult, LlamaWorkerData } from './llama-protocol.ts'
import { PieceDecoder } from './piece-decoder.ts'

type TaskHandler = (task: LlamaTask) => Promise<LlamaTaskResult>
type GenerateTask = Extract<LlamaTask, { type: 'generate' }>

/** The model loaded in this thread, its chat template and its free contexts. */
class LoadedModel {
  readonly backend: string
  readonly contextSize: number
  readonly #model: LlamaModel
  readonly #chatWrapper: ChatWrapper
  readonly #free: LlamaContextSequence[]

  constructor (llama: Llama, model: LlamaModel, contexts: readonly LlamaContext[]) {
    this.backend = llama.gpu === false ? 'cpu' : llama.gpu
    this.#model = model
    // the model's own template when it has one; GeneralChatWrapper when it has none
    this.#chatWrapper = resolveChatWrapper(model)
    this.#free = contexts.map((context) => context.getSequence())
    // llama.cpp may round the size up (to a multiple of 256); the real one bounds the prompt
    this.contextSize = Math.min(...contexts.map((context) => context.contextSize))
  }

  async generate (task: GenerateTask): Promise<LlamaTaskResult> {
    // Piscina runs at most `contexts` tasks at once in this thread, so one is always free
    const sequence = this.#free.pop()
    if (sequence === undefined) return failed(new InferenceUnavailableError('no free llama context in this worker (more requests than contexts)'))
    try {
      return { type: 'generated', result: await this.#run(sequence, task) }
    } catch (err) {
      return failed(err)
    } finally {
      this.#free.push(sequence)
    }
  }

  async #run (sequence: LlamaContextSequence, { input, params, port }: GenerateTask): Promise<GenerateResult> {
    const started = performance.now()
    let cancelled = false
    let unexpected: unknown
    const onControl = (msg: LlamaControlMessage): void => {
      switch (msg.type) {
        case 'cancel': cancelled = true; return
        default: {
          // Not assertNever: an exception thrown here would end the thread while llama.cpp works
          // for it, and that aborts the whole process (see LlamaRuntime). Stop, then fail instead.
          const type: never = msg.type
          unexpected = type
          cancelled = true
        }
      }
    }
    port.on('message', onControl)
    try {
      const { tokens: prompt, droppedTurns } = this.#prompt(input, params)
      await sequence.clearHistory()
      const decoder = new PieceDecoder<Token>((tokens, lastTokens) => this.#model.detokenize(tokens, false, lastTokens))
      let text = ''
      const emit = (piece: string): void => {
        if (piece === '') return
        text += piece
        port.postMessage({ type: 'text-generated', text: piece } satisfies LlamaStreamMessage)
      }
      let completionTokens = 0
      let firstTokenAt: number | undefined
      // llama.cpp ends an evaluation by itself only when it produced no next token
      let stopReason: StopReason = 'eos'
      // A cancel posted while the request waited in Piscina's queue is on the port already, but
      // its event would come only after the prompt's evaluation: read it now, and skip that work.
      for (let entry = receiveMessageOnPort(port); entry !== undefined; entry = receiveMessageOnPort(port)) {
        onControl(entry.message as LlamaControlMessage)
      }
      if (cancelled) {
        stopReason = 'cancelled'
      } else {
        const evaluation = sequence.evaluate([...prompt], {
          temperature: params.temperature,
          topK: params.topK,
          topP: params.topP,
          seed: params.seed,
          // otherwise evaluate() ends silently at an EOG token and 'eos' cannot be told apart
          yieldEogToken: true
        })
        for await (const token of evaluation) {
          if (cancelled) { stopReason = 'cancelled'; break }
          if (this.#model.isEogToken(token)) { stopReason = 'eos'; break }
          completionTokens++
          firstTokenAt ??= performance.now()
          emit(decoder.push(token))
          if (completionTokens >= params.maxTokens) { stopReason = 'max-tokens'; break }
          // Evaluating this token (to sample the next) needs a free cell; with none left,
          // node-llama-cpp would silently shift the context and forget the prompt's start.
          if (prompt.length + completionTokens >= this.contextSize) { stopReason = 'context-full'; break }
        }
      }
      emit(decoder.flush())
      if (unexpected !== undefined) throw new TypeError(`unexpected control message ${JSON.stringify(unexpected)}`)
      const ended = performance.now()
      return {
        text,
        stopReason,
        promptTokens: prompt.length,
        completionTokens,
        droppedTurns,
        ttftMs: (firstTokenAt ?? ended) - started,
        durationMs: ended - started
      }
    } finally {
      port.off('message', onControl)
      // the runtime closes the port once it has read everything posted on it
      port.unref()
    }
  }

  #prompt (input: GenerateInput, params: SamplingParams): { tokens: readonly Token[], droppedTurns: number } {
    if ('prompt' in input) {
      const tokens = this.#withBos(this.#model.tokenize(input.prompt))
      // the context must hold the prompt and the first generated token
      if (tokens.length >= this.contextSize) throw new PromptTooLongError(`the prompt is ${tokens.length} tokens; the context holds ${this.contextSize}, the answer included`)
      return { tokens, droppedTurns: 0 }
    }
    return fitChatPrompt(input.messages, {
      contextSize: this.contextSize,
      room: params.maxTokens,
      format: (turns) => this.#withBos(this.#chatWrapper.generateContextState({ chatHistory: chatHistory(turns) }).contextText.tokenize(this.#model.tokenizer))
    })
  }

  /** `model.tokenize` never adds BOS, while chat templates usually write it themselves. */
  #withBos (tokens: readonly Token[]): readonly Token[] {
    const bos = this.#model.tokens.bos
    if (bos === null || !this.#model.tokens.shouldPrependBosToken || tokens[0] === bos) return tokens
    return [bos, ...tokens]
  }
}

/** Chat turns as node-llama-cpp's chat wrappers take them. The history ends with an empty model
 * response, so that the template writes the assistant's prefix, unless the last turn is already
 * the assistant's: then the model goes on with it. */
function chatHistory (turns: readonly ChatTurn[]): ChatHistoryItem[] {
  const history = turns.map((turn): ChatHistoryItem => {
    switch (turn.role) {
      case 'system': return { type: 'system', text: turn.content }
      case 'user': return { type: 'user', text: turn.content }
      case 'assistant': return { type: 'model', response: [turn.content] }
      default: return assertNever(turn.role, 'chat role')
    }
  })
  if (turns.at(-1)?.role !== 'assistant') history.push({ type: 'model', response: [] })
  return history
}

function failed (err: unknown): LlamaTaskResult {
  return { type: 'failed', error: errorData(err) }
}

async function load (data: LlamaWorkerData): Promise<LoadedModel> {
  let llama: Llama
  try {
    // build 'never': a missing binary must fail here, not start a source build of llama.cpp
    llama = await getLlama({ gpu: data.gpu === 'off' ? false : data.gpu, build: 'never', logLevel: LlamaLogLevel.error })
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
  try {
    const model = await llama.loadModel({ modelPath: data.file })
    const contexts: LlamaContext[] = []
    for (let i = 0; i < data.contexts; i++) {
      // threads always explicit: node-llama-cpp's default (4 or more) runs 60× slower on a busy CPU
      contexts.push(await model.createContext({ contextSize: data.contextSize, threads: data.threads, sequences: 1 }))
    }
    return new LoadedModel(llama, model, contexts)
  } catch (err) {
    await llama.dispose().catch(() => {})
    throw new InferenceUnavailableError(`model "${data.name}" did not load from ${data.file}: ${errorData(err).message}`)
  }
}

/** Never rejects: a thread that failed to load answers every task with the load error instead. */
async function start (data: LlamaWorkerData): Promise<TaskHandler> {
  let loaded: LoadedModel
  try {
    loaded = await load(data)
  } catch (err) {
    const error = failed(err)
    return async () => error
  }
  return async (task) => {
    switch (task.type) {
      case 'ready': return { type: 'loaded', threadId, backend: loaded.backend, contextSize: loaded.contextSize }
      case 'generate': return await loaded.generate(task)
      default: return assertNever(task, 'task')
    }
  }
}

export default start(workerData as LlamaWorkerData)
