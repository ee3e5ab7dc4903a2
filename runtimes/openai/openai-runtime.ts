import { describe } from '../../protocols/index.ts'
import { InferenceQueueFullError, InferenceUnavailableError, UnknownModelError } from '../errors.ts'
import type { ChatTurn, GenerateRequest, GenerateResult, Runtime, RuntimeInfo, StopReason, TokenSink } from '../runtime.ts'
import { CompletionAnswer } from './completion-answer.ts'
import { DEFAULT_TIMEOUT_MS, MAX_MODELS_BODY_BYTES, MAX_MODELS_IN_MESSAGE, TOKENS_PER_PROMPT } from './constants.ts'
import { fitLeavingRoom } from './context-fit.ts'
import { openAiMessage, openAiTools } from './openai-messages.ts'
import { errorBody, networkCause, remoteError } from './remote-error.ts'
import { responseText } from './response-text.ts'
import { estimateTokens } from './token-estimate.ts'

export interface OpenAiRuntimeOptions {
  /** The model's name in our registry. */
  readonly name: string
  /** Everything before `/chat/completions`, e.g. `http://127.0.0.1:11434/v1`. */
  readonly baseUrl: string
  /** Sent as `Authorization: Bearer <apiKey>`. */
  readonly apiKey?: string | undefined
  /** The model's id on the server. */
  readonly model: string
  /** Tokens one request may use there, prompt and answer together; conversations are cut to fit. */
  readonly contextSize: number
  /** Requests sent to the server at once. */
  readonly slots: number
  /** How long the server may take to answer a request (status and headers). @default 30000 */
  readonly timeoutMs?: number | undefined
}

/** One request on the wire: aborting `controller` ends its fetch; `unloaded` and `timedOut` say
 * who did. The deadline runs from the start until the server has answered (see #answered). */
interface Call {
  readonly controller: AbortController
  readonly deadline: ReturnType<typeof setTimeout>
  unloaded: boolean
  timedOut: boolean
}

/**
 * A model served by an OpenAI-compatible server (Ollama, llama-server, vLLM, another Plexi node):
 * `load()` checks that the server answers and lists the model; `generate` streams
 * `/chat/completions` (server-sent events parsed here, as they arrive) into `onToken`. The remote
 * tokenizer is unknown here, so conversations are fitted to the context by a conservative estimate
 * (see BYTES_PER_TOKEN), which also stands in for promptTokens when the server sends no usage
 * (completionTokens then counts the content chunks). Nothing is retried: retries belong to the
 * caller, who knows whether the user is still waiting.
 */
export class OpenAiRuntime implements Runtime {
  readonly #opts: OpenAiRuntimeOptions
  readonly #baseUrl: string
  readonly #timeoutMs: number
  readonly #calls = new Set<Call>()
  #loaded = false
  #loading: Promise<void> | undefined
  /** Bumped by unload(), so that a load that was under way does not mark us loaded after it. */
  #epoch = 0

  constructor (opts: OpenAiRuntimeOptions) {
    if (opts.name.length === 0) throw new RangeError('an OpenAI runtime needs a model name')
    if (opts.model.length === 0) throw new RangeError(`model ${opts.name}: the server's model id is empty`)
    let url: URL
    try {
      url = new URL(opts.baseUrl)
    } catch {
      throw new RangeError(`model ${opts.name}: baseUrl must be an http(s) URL such as http://127.0.0.1:11434/v1, got ${JSON.stringify(opts.baseUrl)}`)
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new RangeError(`model ${opts.name}: baseUrl must be http: or https:, got ${url.protocol}`)
    if (!Number.isSafeInteger(opts.contextSize) || opts.contextSize < 1) throw new RangeError(`model ${opts.name}: contextSize must be an integer >= 1, got ${opts.contextSize}`)
    if (!Number.isSafeInteger(opts.slots) || opts.slots < 1) throw new RangeError(`model ${opts.name}: slots must be an integer >= 1, got ${opts.slots}`)
    const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS
    if (!(timeoutMs > 0)) throw new RangeError(`model ${opts.name}: timeoutMs must be > 0, got ${timeoutMs}`)
    this.#opts = opts
    this.#baseUrl = opts.baseUrl.replace(/\/+$/, '')
    this.#timeoutMs = timeoutMs
  }

  info (): RuntimeInfo {
    return {
      kind: 'openai-http',
      model: this.#opts.name,
      loaded: this.#loaded,
      contextSize: this.#opts.contextSize,
      slots: this.#opts.slots,
      memoryBytes: 0,
      backend: this.#baseUrl
    }
  }

  async load (): Promise<void> {
    if (this.#loaded) return
    this.#loading ??= this.#probe().finally(() => { this.#loading = undefined })
    await this.#loading
  }

  async unload (): Promise<void> {
    this.#epoch++
    this.#loaded = false
    for (const call of this.#calls) {
      call.unloaded = true
      call.controller.abort()
    }
  }

  async generate (request: GenerateRequest, onToken: TokenSink, signal?: AbortSignal): Promise<GenerateResult> {
    const startedAt = performance.now()
    if (!this.#loaded) throw new InferenceUnavailableError(`model ${this.#opts.name} is not loaded`)
    // the contract leaves queueing to the caller (the model manager); going past the slots anyway
    // is refused rather than sent, so the server never sees more than it was sized for
    if (this.#calls.size >= this.#opts.slots) {
      throw new InferenceQueueFullError(`model ${this.#opts.name}: all ${this.#opts.slots} slots are busy; queue before calling generate`, 1000)
    }
    const { params } = request
    const turns: readonly ChatTurn[] = 'prompt' in request.input ? [{ role: 'user', content: request.input.prompt }] : request.input.messages
    // the same rule as the llama.cpp runtime: drop old turns to leave room for maxTokens; when even
    // the kept turns leave less, send them with the room there is (the answer may end 'context-full')
    // and refuse only a prompt that fills the context by itself
    const tools = openAiTools(request.tools, request.toolChoice)
    // the server writes the tools into the prompt too
    const prompt = TOKENS_PER_PROMPT + (tools.tools === undefined ? 0 : estimateTokens({ role: 'system', content: JSON.stringify(tools.tools) }))
    const fit = fitLeavingRoom(turns, this.#opts.contextSize - prompt, params.maxTokens, estimateTokens)
    const maxTokens = Math.min(params.maxTokens, this.#opts.contextSize - prompt - fit.tokens)
    const answer = new CompletionAnswer(onToken)
    const url = `${this.#baseUrl}/chat/completions`
    const result = (stopReason: StopReason): GenerateResult => {
      const endedAt = performance.now()
      // calls cut by the token limit are no calls; an answer with whole ones waits for their results
      const toolCalls = stopReason === 'eos' && answer.toolCalls.size > 0 ? answer.toolCalls.calls(url) : undefined
      return {
        text: answer.text,
        stopReason: toolCalls !== undefined ? 'tool-calls' : stopReason,
        promptTokens: answer.usage?.promptTokens ?? fit.tokens + prompt,
        completionTokens: answer.usage?.completionTokens ?? answer.chunks,
        droppedTurns: fit.droppedTurns,
        ttftMs: (answer.firstTokenAt ?? endedAt) - startedAt,
        durationMs: endedAt - startedAt,
        ...(toolCalls !== undefined && { toolCalls })
      }
    }
    const cancelled = (): boolean => signal?.aborted === true
    if (cancelled()) return result('cancelled')

    const body = {
      model: this.#opts.model,
      messages: fit.turns.map(openAiMessage),
      ...tools,
      stream: true,
      stream_options: { include_usage: true },
      max_tokens: maxTokens,
      temperature: params.temperature,
      top_p: params.topP,
      ...(params.seed !== undefined && { seed: params.seed }),
      ...(params.stop !== undefined && params.stop.length > 0 && { stop: params.stop }),
      // not an OpenAI field: llama-server, vLLM and Ollama read it, OpenAI itself would refuse it
      ...(params.topK > 0 && { top_k: params.topK })
    }
    const call = this.#call()
    const cancel = (): void => { call.controller.abort() }
    signal?.addEventListener('abort', cancel, { once: true })
    try {
      const response = await this.#fetch(call, 'POST', url, { body: JSON.stringify(body), accept: 'text/event-stream' })
      if (!response.ok) throw await remoteError(response, 'POST', url)
      // the stream has started: a long answer is not a dead server, and the caller's signal ends it
      clearTimeout(call.deadline)
      const done = await answer.read(response, url, call.controller.signal, this.#opts.name)
      if (call.controller.signal.aborted) throw call.controller.signal.reason
      if (!done && answer.finish === undefined) throw new InferenceUnavailableError(`model ${this.#opts.name}: POST ${url}: the stream ended before the answer did`)
      return result(answer.finish !== 'length' ? 'eos' : maxTokens < params.maxTokens ? 'context-full' : 'max-tokens')
    } catch (err) {
      if (call.unloaded) throw new InferenceUnavailableError(`model ${this.#opts.name} was unloaded while it answered`)
      if (cancelled()) return result('cancelled')
      if (call.timedOut) throw this.#timeout('POST', url)
      throw err
    } finally {
      signal?.removeEventListener('abort', cancel)
      this.#end(call)
    }
  }

  /** GET /models: the server answers, speaks the API, and lists our model. */
  async #probe (): Promise<void> {
    const epoch = this.#epoch
    const url = `${this.#baseUrl}/models`
    const call = this.#call()
    let ids: string[]
    try {
      const response = await this.#fetch(call, 'GET', url, { accept: 'application/json' })
      if (!response.ok) {
        const { message } = await errorBody(response)
        throw new InferenceUnavailableError(`model ${this.#opts.name}: GET ${url} answered ${response.status}: ${message}`)
      }
      let list: unknown
      try {
        list = JSON.parse(await responseText(response, MAX_MODELS_BODY_BYTES))
      } catch (err) {
        if (call.controller.signal.aborted) throw err
        throw new InferenceUnavailableError(`model ${this.#opts.name}: GET ${url} did not answer a JSON model list (is it an OpenAI-compatible /v1 base URL?): ${describe(err)}`)
      }
      const data = (list as { data?: unknown } | null)?.data
      if (!Array.isArray(data)) throw new InferenceUnavailableError(`model ${this.#opts.name}: GET ${url} answered without a "data" list; is it an OpenAI-compatible /v1 base URL?`)
      ids = data.map((m: { id?: unknown } | null) => m?.id).filter((id): id is string => typeof id === 'string')
    } catch (err) {
      if (call.unloaded) throw new InferenceUnavailableError(`model ${this.#opts.name} was unloaded while it loaded`)
      if (call.timedOut) throw this.#timeout('GET', url)
      throw err
    } finally {
      this.#end(call)
    }
    const model = this.#opts.model
    // Ollama lists `name:latest` and answers to `name` as well
    if (!ids.includes(model) && !ids.includes(`${model}:latest`)) {
      const shown = ids.slice(0, MAX_MODELS_IN_MESSAGE).map((id) => JSON.stringify(id)).join(', ')
      const more = ids.length > MAX_MODELS_IN_MESSAGE ? ` and ${ids.length - MAX_MODELS_IN_MESSAGE} more` : ''
      throw new UnknownModelError(`model ${this.#opts.name}: the server at ${this.#baseUrl} has no model ${JSON.stringify(model)}; it lists ${ids.length === 0 ? 'none' : shown + more}`)
    }
    if (epoch !== this.#epoch) throw new InferenceUnavailableError(`model ${this.#opts.name} was unloaded while it loaded`)
    this.#loaded = true
  }

  /** A request under way, with its deadline running; unload() aborts it. */
  #call (): Call {
    const controller = new AbortController()
    const call: Call = {
      controller,
      unloaded: false,
      timedOut: false,
      deadline: setTimeout(() => {
        call.timedOut = true
        controller.abort()
      }, this.#timeoutMs)
    }
    this.#calls.add(call)
    return call
  }

  #end (call: Call): void {
    clearTimeout(call.deadline)
    this.#calls.delete(call)
  }

  #timeout (method: string, url: string): InferenceUnavailableError {
    return new InferenceUnavailableError(`model ${this.#opts.name}: ${method} ${url}: no answer within ${this.#timeoutMs} ms`)
  }

  /** One request; no connection at all is InferenceUnavailableError, an abort (by the caller,
   * unload() or the deadline) is passed through for the caller to tell which. */
  async #fetch (call: Call, method: 'GET' | 'POST', url: string, opts: { body?: string, accept: string }): Promise<Response> {
    const headers: Record<string, string> = { accept: opts.accept }
    if (opts.body !== undefined) headers['content-type'] = 'application/json'
    if (this.#opts.apiKey !== undefined && this.#opts.apiKey !== '') headers.authorization = `Bearer ${this.#opts.apiKey}`
    try {
      // a redirect would turn the POST into a GET, or send the key on to another host: say so instead
      return await fetch(url, { method, headers, body: opts.body, signal: call.controller.signal, redirect: 'error' })
    } catch (err) {
      if (call.controller.signal.aborted) throw err
      throw new InferenceUnavailableError(`model ${this.#opts.name}: ${method} ${url}: cannot reach the server (${networkCause(err)})`)
    }
  }
}
