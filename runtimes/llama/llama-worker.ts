/**
 * The Piscina worker behind LlamaRuntime. Its default export is a promise of the task handler, so
 * Piscina reports the thread ready only after it has loaded llama.cpp and the model (once per
 * thread) and made its contexts, one per request it may run at once, reused across requests.
 * Failures are returned as data, never thrown: an Error loses its class crossing the thread.
 */
import { readFile } from 'node:fs/promises'
import { receiveMessageOnPort, threadId, workerData } from 'node:worker_threads'
import { LlamaLogLevel, NoBinaryFoundError, getLlama, resolveChatWrapper } from 'node-llama-cpp'
import type { ChatHistoryItem, ChatWrapper, Llama, LlamaContext, LlamaContextSequence, LlamaModel, Token } from 'node-llama-cpp'
import { assertNever } from '../../protocols/index.ts'
import { InferenceUnavailableError, PromptTooLongError } from '../errors.ts'
import { errorData } from '../../protocols/index.ts'
import type { CacheUse, ChatTurn, GenerateInput, GenerateResult, SamplingParams, StopReason } from '../runtime.ts'
import { fitChatPrompt } from './chat-prompt.ts'
import { checkKvState, removeKvState, writeKvState } from './kv-state-file.ts'
import type { LlamaControlMessage, LlamaStreamMessage, LlamaTask, LlamaTaskResult, LlamaWorkerData, SavedKvState } from './llama-protocol.ts'
import { PieceDecoder } from './piece-decoder.ts'
import { StopStringDetector } from './stop-string-detector.ts'

type TaskHandler = (task: LlamaTask) => Promise<LlamaTaskResult>

/** Text generated within this long of the last message to the runtime joins the next message:
 * below what a reader can tell apart (a 60 Hz screen shows a frame every 16.7 ms). */
const COALESCE_MS = 16
type GenerateTask = Extract<LlamaTask, { type: 'generate' }>

/** A context's sequence and whose conversation its KV cache holds. */
interface CacheSlot {
  readonly sequence: LlamaContextSequence
  /** The cache key of the conversation in it; undefined: none worth keeping. */
  key: string | undefined
  /** Order of last use, for LRU eviction (0: never used). */
  usedAt: number
  busy: boolean
}

/** How a request got its slot, for GenerateResult.cache. */
interface Taken {
  readonly slot: CacheSlot
  readonly source: CacheUse['source']
  readonly restoredBytes: number
  readonly restoreFailure?: string
  readonly saved: SavedKvState[]
  readonly read?: { readonly cacheKey: string, readonly removed: boolean }
}

/** The model loaded in this thread, its chat template and its contexts, each holding the KV
 * cache of the conversation it ran last. */
class LoadedModel {
  readonly backend: string
  readonly contextSize: number
  readonly build: string
  readonly #model: LlamaModel
  readonly #chatWrapper: ChatWrapper
  readonly #slots: CacheSlot[]
  readonly #kvState: LlamaWorkerData['kvState']
  #uses = 0
  #stops: readonly string[] | undefined

  constructor (llama: Llama, model: LlamaModel, contexts: readonly LlamaContext[], build: string, kvState: LlamaWorkerData['kvState']) {
    this.backend = llama.gpu === false ? 'cpu' : llama.gpu
    this.build = build
    this.#model = model
    // the model's own template when it has one; GeneralChatWrapper when it has none
    this.#chatWrapper = resolveChatWrapper(model)
    this.#slots = contexts.map((context) => ({ sequence: context.getSequence(), key: undefined, usedAt: 0, busy: false }))
    // llama.cpp may round the size up (to a multiple of 256); the real one bounds the prompt
    this.contextSize = Math.min(...contexts.map((context) => context.contextSize))
    this.#kvState = kvState
  }

  async generate (task: GenerateTask): Promise<LlamaTaskResult> {
    // Piscina runs at most `contexts` tasks at once in this thread, and there are at least as many
    // slots, so one is always free
    let taken: Taken
    try {
      taken = await this.#take(task.cacheKey, task.preferSaved === true)
    } catch (err) {
      return failed(err)
    }
    const { slot } = taken
    try {
      const result = await this.#run(slot, task, taken)
      return { type: 'generated', result, saved: taken.saved, ...(taken.read !== undefined && { read: taken.read }) }
    } catch (err) {
      // what the context holds is unknown after a failure: keep nothing of it
      slot.key = undefined
      await slot.sequence.clearHistory().catch(() => {})
      return failed(err)
    } finally {
      slot.usedAt = ++this.#uses
      slot.busy = false
    }
  }

  /** Saves the KV caches asked for that are held in a free slot. */
  async saveCaches (keys: readonly string[] | undefined): Promise<LlamaTaskResult> {
    const wanted = keys === undefined ? undefined : new Set(keys)
    const saved: SavedKvState[] = []
    const failures: string[] = []
    for (const slot of this.#slots) {
      const key = slot.key
      if (slot.busy || key === undefined || (wanted !== undefined && !wanted.has(key))) continue
      slot.busy = true
      try {
        const state = await this.#save(slot, key)
        if (state !== undefined) saved.push(state)
      } catch (err) {
        failures.push(`${key.slice(0, 100)}: ${errorData(err).message}`)
      } finally {
        slot.busy = false
      }
    }
    return { type: 'caches-saved', saved, failures }
  }

  /**
   * A free slot for a request: the one holding its conversation's cache, else the least recently
   * used (whose conversation is saved first, when saving is on), into which the conversation's
   * saved state is loaded when there is one that may be.
   */
  async #take (key: string | undefined, preferSaved: boolean): Promise<Taken> {
    const free = this.#slots.filter((s) => !s.busy)
    const own = key === undefined ? undefined : free.find((s) => s.key === key)
    if (own !== undefined && !preferSaved) {
      own.busy = true
      return { slot: own, source: 'memory', restoredBytes: 0, saved: [] }
    }
    // the copy in memory is older than the state that arrived: its context is taken, unsaved;
    // else one that holds no conversation, else the least recently used conversation's
    if (own !== undefined) own.key = undefined
    const slot = own ?? free.sort((a, b) => (a.key === undefined ? 0 : 1) - (b.key === undefined ? 0 : 1) || a.usedAt - b.usedAt)[0]
    if (slot === undefined) throw new InferenceUnavailableError('no free llama context in this worker (more requests than contexts)')
    slot.busy = true
    const saved: SavedKvState[] = []
    try {
      const evicted = slot.key
      slot.key = undefined
      if (evicted !== undefined) {
        // an eviction that cannot be saved only costs that conversation its next prompt's evaluation
        const state = await this.#save(slot, evicted).catch(() => undefined)
        if (state !== undefined) saved.push(state)
      }
      if (key === undefined || this.#kvState === undefined) return { slot, source: 'miss', restoredBytes: 0, saved }
      const restored = await this.#restore(slot, key, this.#kvState)
      return { slot, saved, ...restored }
    } catch (err) {
      slot.busy = false
      throw err
    }
  }

  async #save (slot: CacheSlot, key: string): Promise<SavedKvState | undefined> {
    const tokens = slot.sequence.nextTokenIndex
    if (this.#kvState === undefined || tokens === 0) return undefined
    const identity = { modelSha256: this.#kvState.modelSha256, build: this.build }
    const meta = await writeKvState(this.#kvState.dir, key, identity, tokens, async (path) => { await slot.sequence.saveStateToFile(path) })
    return { cacheKey: key, bytes: meta.bytes, tokens }
  }

  /** Loads the conversation's saved state into the slot, only once it is checked to be this
   * model's and this build's and whole; anything else leaves the slot empty. */
  async #restore (slot: CacheSlot, key: string, kvState: NonNullable<LlamaWorkerData['kvState']>): Promise<Omit<Taken, 'slot' | 'saved'>> {
    const dir = kvState.dir
    const check = await checkKvState(dir, key, { modelSha256: kvState.modelSha256, build: this.build }, this.contextSize)
      .catch((err: unknown) => ({ ok: false as const, reason: `it could not be read: ${errorData(err).message}` }))
    if (!check.ok) {
      if (check.reason === undefined) return { source: 'miss', restoredBytes: 0 }
      await removeKvState(dir, key).catch(() => {})
      return { source: 'miss', restoredBytes: 0, restoreFailure: check.reason, read: { cacheKey: key, removed: true } }
    }
    try {
      await slot.sequence.loadStateFromFile(check.path, { acceptRisk: true })
      if (slot.sequence.nextTokenIndex !== check.meta.tokens) throw new Error(`it held ${slot.sequence.nextTokenIndex} tokens, ${check.meta.tokens} were saved`)
      return { source: 'disk', restoredBytes: check.meta.bytes, read: { cacheKey: key, removed: false } }
    } catch (err) {
      await slot.sequence.clearHistory().catch(() => {})
      await removeKvState(dir, key).catch(() => {})
      return { source: 'miss', restoredBytes: 0, restoreFailure: `llama.cpp refused it: ${errorData(err).message}`, read: { cacheKey: key, removed: true } }
    }
  }

  async #run (slot: CacheSlot, task: GenerateTask, taken: Taken): Promise<GenerateResult> {
    const { input, params, port, cacheKey } = task
    const sequence = slot.sequence
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
    // the wait of pieces being joined (see below): cleared when the request ends, however it ends
    let timer: ReturnType<typeof setTimeout> | undefined
    port.on('message', onControl)
    try {
      const { tokens: prompt, droppedTurns, stops } = this.#prompt(input, params)
      // Without a cache key nothing is kept: the whole prompt is evaluated, as it always was.
      // With one, only what differs from the cache; at least the last prompt token, whose
      // evaluation gives the first answer token.
      let reused = 0
      if (cacheKey === undefined) {
        await sequence.clearHistory()
      } else {
        reused = Math.min(sequence.compareContextTokens([...prompt]).firstDifferentIndex, prompt.length - 1)
        if (reused < sequence.nextTokenIndex) await sequence.eraseContextTokenRanges([{ start: reused, end: sequence.nextTokenIndex }])
        slot.key = cacheKey
      }
      const decoder = new PieceDecoder<Token>((tokens, lastTokens) => this.#model.detokenize(tokens, false, lastTokens))
      const stopper = new StopStringDetector(stops)
      let text = ''
      // Each message costs the node's main thread, and the client after it, work of its own: on
      // a fast model, or with several answers at once, a large share of a token's time on the
      // CPU llama.cpp needs. So pieces that come within COALESCE_MS of the last message wait and
      // go out together; the first piece, any piece after a pause, and the last go out at once.
      let waiting = ''
      let lastPost = Number.NEGATIVE_INFINITY
      const post = (): void => {
        clearTimeout(timer)
        timer = undefined
        if (waiting === '') return
        port.postMessage({ type: 'text-generated', text: waiting } satisfies LlamaStreamMessage)
        waiting = ''
        lastPost = performance.now()
      }
      const emit = (piece: string): void => {
        if (piece === '') return
        text += piece
        waiting += piece
        const since = performance.now() - lastPost
        if (since >= COALESCE_MS) post()
        else timer ??= setTimeout(post, COALESCE_MS - since)
      }
      let completionTokens = 0
      let firstTokenAt: number | undefined
      // llama.cpp ends an evaluation by itself only when it produced no next token
      let stopReason: StopReason = 'eos'
      let stoppedAtString = false
      // A cancel posted while the request waited in Piscina's queue is on the port already, but
      // its event would come only after the prompt's evaluation: read it now, and skip that work.
      for (let entry = receiveMessageOnPort(port); entry !== undefined; entry = receiveMessageOnPort(port)) {
        onControl(entry.message as LlamaControlMessage)
      }
      if (cancelled) {
        stopReason = 'cancelled'
      } else {
        const evaluation = sequence.evaluate(prompt.slice(reused), {
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
          const shown = stopper.push(decoder.push(token))
          emit(shown.text)
          if (shown.stopped) { stopReason = 'eos'; stoppedAtString = true; break }
          if (completionTokens >= params.maxTokens) { stopReason = 'max-tokens'; break }
          // Evaluating this token (to sample the next) needs a free cell; with none left,
          // node-llama-cpp would silently shift the context and forget the prompt's start.
          if (prompt.length + completionTokens >= this.contextSize) { stopReason = 'context-full'; break }
        }
      }
      if (!stoppedAtString) {
        // a stop string may end inside text the decoder or the detector still holds
        const rest = stopper.push(decoder.flush())
        emit(rest.text)
        if (!rest.stopped) emit(stopper.flush())
      }
      post()
      if (unexpected !== undefined) throw new TypeError(`unexpected control message ${JSON.stringify(unexpected)}`)
      const ended = performance.now()
      return {
        text,
        stopReason,
        promptTokens: prompt.length,
        completionTokens,
        droppedTurns,
        ttftMs: (firstTokenAt ?? ended) - started,
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
      clearTimeout(timer)
      port.off('message', onControl)
      // the runtime closes the port once it has read everything posted on it
      port.unref()
    }
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

/** What wrote a saved KV state: llama.cpp's release and node-llama-cpp's version. */
async function buildOf (llama: Llama): Promise<string> {
  const pkg = JSON.parse(await readFile(new URL('../package.json', import.meta.resolve('node-llama-cpp')), 'utf8')) as { version?: unknown }
  const release = llama.llamaCppRelease
  return `${release.repo}@${release.release} node-llama-cpp@${String(pkg.version)} ${llama.buildType}`
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
    for (let i = 0; i < Math.max(data.contexts, data.cachedSequences); i++) {
      // threads always explicit: node-llama-cpp's default (4 or more) runs 60× slower on a busy CPU
      contexts.push(await model.createContext({ contextSize: data.contextSize, threads: data.threads, sequences: 1 }))
    }
    return new LoadedModel(llama, model, contexts, await buildOf(llama), data.kvState)
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
      case 'ready': return { type: 'loaded', threadId, backend: loaded.backend, contextSize: loaded.contextSize, build: loaded.build }
      case 'generate': return await loaded.generate(task)
      case 'save-caches': return await loaded.saveCaches(task.cacheKeys)
      default: return assertNever(task, 'task')
    }
  }
}

export default start(workerData as LlamaWorkerData)
