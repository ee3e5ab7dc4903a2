import { describe } from '../../protocols/index.ts'
import { InferenceUnavailableError, RemoteInferenceError } from '../errors.ts'
import type { TokenSink } from '../runtime.ts'
import { MAX_EVENT_CHARS } from './constants.ts'
import { errorFields, eventError, networkCause } from './remote-error.ts'
import { SseParser } from './sse-parser.ts'
import { ToolCallDeltas } from './tool-call-deltas.ts'

interface ChunkShape {
  readonly choices?: Array<{ readonly delta?: { readonly content?: unknown, readonly tool_calls?: unknown }, readonly finish_reason?: unknown } | undefined>
  readonly usage?: { readonly prompt_tokens?: unknown, readonly completion_tokens?: unknown } | null
  readonly error?: unknown
}

/**
 * What a streamed `/chat/completions` answer said, gathered as it arrives: its text (each content
 * delta handed to the sink as it comes), its tool calls, the content chunks counted, the finish
 * reason, the usage when the server sends it, and when the first text came.
 */
export class CompletionAnswer {
  text = ''
  readonly toolCalls = new ToolCallDeltas()
  chunks = 0
  finish: string | undefined
  usage: { promptTokens: number, completionTokens: number } | undefined
  firstTokenAt: number | undefined
  readonly #onToken: TokenSink

  constructor (onToken: TokenSink) {
    this.#onToken = onToken
  }

  /** Reads the event stream of `response` into this answer. True when the server said `[DONE]`;
   * false when the stream just ended or `signal` aborted it. `model` names it in errors. */
  async read (response: Response, url: string, signal: AbortSignal, model: string): Promise<boolean> {
    if (response.body === null) throw new RemoteInferenceError(`POST ${url} answered ${response.status} without a body`, 502)
    const reader = response.body.getReader()
    const decoder = new TextDecoder('utf-8')
    const parser = new SseParser(MAX_EVENT_CHARS)
    try {
      for (;;) {
        let chunk: Awaited<ReturnType<typeof reader.read>>
        try {
          chunk = await reader.read()
        } catch (err) {
          if (signal.aborted) return false
          throw new InferenceUnavailableError(`model ${model}: POST ${url}: the connection broke mid-answer (${networkCause(err)})`)
        }
        let events
        try {
          events = chunk.done ? [...parser.push(decoder.decode()), ...parser.end()] : parser.push(decoder.decode(chunk.value, { stream: true }))
        } catch (err) {
          throw new RemoteInferenceError(`POST ${url}: the event stream is malformed: ${describe(err)}`, 502)
        }
        for (const event of events) {
          if (signal.aborted) return false
          if (event.data === '[DONE]') return true
          if (event.event === 'error') throw new RemoteInferenceError(`${eventError(event.data)} (POST ${url}: error event in the stream)`, 502)
          // other named events (pings, vendors' extras) are not part of the chat completion
          if (event.event === 'message') this.take(event.data, url)
        }
        if (chunk.done) return false
      }
    } finally {
      // frees the connection when we stop before the server does ([DONE] with bytes after it, or an
      // error); a stream already ended or broken has nothing to free
      reader.cancel().catch(() => {})
    }
  }

  /** One `data:` event of the stream: a chat.completion.chunk, or an error sent mid-stream. */
  take (data: string, url: string): void {
    let chunk: ChunkShape
    try {
      chunk = JSON.parse(data) as ChunkShape
    } catch {
      throw new RemoteInferenceError(`POST ${url}: an event is not JSON: ${data.slice(0, 200)}`, 502)
    }
    if (chunk === null || typeof chunk !== 'object') throw new RemoteInferenceError(`POST ${url}: an event is not a JSON object: ${data.slice(0, 200)}`, 502)
    if (chunk.error !== undefined && chunk.error !== null) {
      const { message, status } = errorFields(chunk.error)
      // the HTTP status was 200 before the error happened; a numeric code (vLLM sends one) says more
      throw new RemoteInferenceError(`${message} (POST ${url}: error in the stream)`, status ?? 502)
    }
    const choice = Array.isArray(chunk.choices) ? chunk.choices[0] : undefined
    this.toolCalls.take(choice?.delta?.tool_calls, url)
    const content = choice?.delta?.content
    if (typeof content === 'string' && content.length > 0) {
      this.text += content
      this.chunks++
      this.firstTokenAt ??= performance.now()
      this.#onToken(content)
    }
    if (typeof choice?.finish_reason === 'string') this.finish = choice.finish_reason
    const usage = chunk.usage
    if (usage !== undefined && usage !== null && typeof usage.prompt_tokens === 'number' && typeof usage.completion_tokens === 'number') {
      this.usage = { promptTokens: usage.prompt_tokens, completionTokens: usage.completion_tokens }
    }
  }
}
