import type { FastifyReply } from 'fastify'
import type { GenerateResult } from '../../runtimes/index.ts'
import { TokenCoalescer } from '../inference/index.ts'
import { toolCalls, usage } from './completion-result.ts'
import type { FinishReason } from './completion-result.ts'
import { STREAMED_ARGUMENTS_CHARS } from './constants.ts'
import type { OpenAiErrorBody } from './openai-error.ts'

export interface ChatStreamMeta {
  readonly id: string
  /** Unix seconds. */
  readonly created: number
  readonly model: string
  /** stream_options.include_usage: a last chunk with `usage` and no choices. */
  readonly includeUsage: boolean
}

/**
 * One streamed chat completion as OpenAI sends it: server-sent `chat.completion.chunk` events,
 * the role first, then content deltas, then the tool calls (each call's id, type and name, then
 * its arguments in pieces), then the finish reason, then (when asked) the usage, then
 * `data: [DONE]`. Nothing reaches the client until `start()` (called by the first token or the
 * end), so a request refused before it began can still get a plain HTTP error. Writes after the
 * client left, or after the end, are dropped: they must not throw into the generation.
 */
export class ChatStream {
  readonly #reply: FastifyReply
  readonly #meta: ChatStreamMeta
  #started = false
  #ended = false
  /** Tokens that arrive while the previous chunk is still being written go out in one chunk. */
  readonly #tokens = new TokenCoalescer((text, written) => { this.#chunk({ content: text }, null, written) })

  constructor (reply: FastifyReply, meta: ChatStreamMeta) {
    this.#reply = reply
    this.#meta = meta
  }

  /** Headers have been sent: from now on a failure can only be an event in the stream. */
  get started (): boolean {
    return this.#started
  }

  /** Takes the response from Fastify and sends the headers and the role chunk (once). */
  start (): void {
    if (this.#started) return
    this.#started = true
    this.#reply.hijack()
    const raw = this.#reply.raw
    // the client may leave while we write; a late write's error is not a crash
    raw.on('error', () => {})
    if (raw.destroyed) {
      this.#ended = true
      return
    }
    raw.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      // nginx buffers proxied responses unless told not to, which would hold tokens back
      'x-accel-buffering': 'no'
    })
    this.#chunk({ role: 'assistant', content: '' }, null)
  }

  token (text: string): void {
    if (this.#ended) return
    this.start()
    this.#tokens.push(text)
  }

  /** The answer is complete: its calls, finish reason, usage, [DONE]. The runtimes hand over a
   * call once whole, so its arguments go out in pieces only now. */
  finish (result: GenerateResult, finishReason: FinishReason): void {
    if (this.#ended) return
    this.start()
    this.#tokens.flush()
    for (const [index, call] of toolCalls(result).entries()) {
      this.#chunk({ tool_calls: [{ index, id: call.id, type: 'function', function: { name: call.function.name, arguments: '' } }] }, null)
      const args = call.function.arguments
      for (let at = 0; at < args.length; at += STREAMED_ARGUMENTS_CHARS) {
        this.#chunk({ tool_calls: [{ index, function: { arguments: args.slice(at, at + STREAMED_ARGUMENTS_CHARS) } }] }, null)
      }
    }
    this.#chunk({}, finishReason)
    if (this.#meta.includeUsage) {
      this.#event({ ...this.#head(), choices: [], usage: usage(result) })
    }
    this.#write('data: [DONE]\n\n')
    this.#end()
  }

  /** The answer failed after the stream started: an error event, and the stream ends (no [DONE]:
   * clients must not take the partial text for a whole answer). */
  fail (body: OpenAiErrorBody): void {
    if (this.#ended) return
    this.start()
    this.#tokens.flush()
    this.#event(body)
    this.#end()
  }

  /** Ends without writing more (the client left): hands the request back to nobody. */
  abandon (): void {
    if (!this.#started) {
      this.#started = true
      this.#reply.hijack()
    }
    this.#end()
  }

  #head (): Record<string, unknown> {
    return { id: this.#meta.id, object: 'chat.completion.chunk', created: this.#meta.created, model: this.#meta.model }
  }

  #chunk (delta: Record<string, unknown>, finishReason: FinishReason | null, written?: () => void): void {
    this.#event({ ...this.#head(), choices: [{ index: 0, delta, finish_reason: finishReason, logprobs: null }] }, written)
  }

  #event (data: unknown, written?: () => void): void {
    this.#write(`data: ${JSON.stringify(data)}\n\n`, written)
  }

  /** `written`: called once the socket has taken the text (never, once the stream has ended). */
  #write (text: string, written?: () => void): void {
    const raw = this.#reply.raw
    if (this.#ended || raw.destroyed || raw.writableEnded) {
      this.#ended = true
      return
    }
    raw.write(text, written)
  }

  #end (): void {
    if (this.#ended && this.#reply.raw.writableEnded) return
    this.#ended = true
    const raw = this.#reply.raw
    if (!raw.destroyed && !raw.writableEnded) raw.end()
  }
}
