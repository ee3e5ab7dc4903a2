import { randomBytes } from 'node:crypto'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { GenerateResult, SamplingParams } from '../../runtimes/index.ts'
import { clientAddress } from '../limits/index.ts'
import type { ClientLimits } from '../limits/index.ts'
import { ChatStream } from './chat-stream.ts'
import { chatTurns } from './chat-turns.ts'
import { finishReason, toolCalls, usage } from './completion-result.ts'
import { DEFAULT_TEMPERATURE, DEFAULT_TOP_P, STREAM_HEADERS_AFTER_MS } from './constants.ts'
import type { InFlightAnswers } from './in-flight-answers.ts'
import { AGENT_MODEL_ID } from './openai-backend.ts'
import type { OpenAiBackend, CompletionRequest } from './openai-backend.ts'
import { backendError, logged, openAiError, refused, sendError } from './openai-error.ts'
import type { FieldRefusal, OpenAiError } from './openai-error.ts'
import { chatCompletionBody, chatCompletionResponse, errorResponses } from './openai-schemas.ts'
import type { ChatCompletionBody } from './openai-schemas.ts'
import type { UserOf } from './request-auth.ts'
import { toolInput } from './tool-input.ts'

export interface CompletionRoutesDeps {
  readonly backend: OpenAiBackend
  readonly userOf: UserOf
  /** max_tokens when a request gives none, and the most one may ask for. */
  readonly defaults: { readonly maxTokens: number, readonly maxTokensLimit: number }
  /** The endpoint's answers in flight (closing the server ends them). */
  readonly answers: InFlightAnswers
  /** The node's limits per client address: a streamed answer holds one of its stream slots. */
  readonly clients?: ClientLimits | undefined
}

/** Runs the request's completion, handing each token to `onToken`. */
type Run = (onToken: (text: string) => void) => Promise<GenerateResult>

/** The chat.completion's id, time and model, as every answer and chunk of one request says them. */
interface AnswerMeta { readonly id: string, readonly created: number, readonly model: string }

/**
 * `POST /v1/chat/completions`: one JSON chat.completion, or with `stream: true` server-sent
 * chat.completion.chunk events ending in `data: [DONE]`. A client that leaves mid-answer aborts
 * the generation; the server's close ends every answer in flight with 503 server_shutting_down.
 */
export function completionRoutes (deps: CompletionRoutesDeps) {
  return async (app: FastifyInstance): Promise<void> => {
    app.post<{ Body: ChatCompletionBody }>('/v1/chat/completions', {
      schema: {
        summary: 'A chat completion: one JSON object, or with `stream: true` server-sent chat.completion.chunk events ending in `data: [DONE]`',
        body: chatCompletionBody(deps.defaults.maxTokensLimit),
        response: { 200: chatCompletionResponse, ...errorResponses(400, 401, 403, 404, 413, 415, 429, 500, 502, 503) }
      }
    }, async (request, reply) => await completion(deps, request, reply))
  }
}

async function completion (deps: CompletionRoutesDeps, request: FastifyRequest<{ Body: ChatCompletionBody }>, reply: FastifyReply): Promise<unknown> {
  const user = deps.userOf(request)
  const body = request.body
  const input = completionInput(body, deps.defaults.maxTokens)
  if ('param' in input) return sendError(reply, refused(input))
  if (body.stream === true && deps.clients !== undefined && !holdStreamSlot(deps.clients, request, reply)) return reply
  const meta: AnswerMeta = { id: `chatcmpl-${randomBytes(12).toString('hex')}`, created: Math.floor(Date.now() / 1000), model: body.model }
  const answer = deps.answers.track(reply)
  const run: Run = (onToken) => deps.backend.complete(user, { model: body.model, ...input }, onToken, answer.signal)
  try {
    if (body.stream !== true) return await wholeAnswer(deps.answers, reply, run, meta)
    return await streamedAnswer(deps.answers, request, reply, run, answer.signal, { ...meta, includeUsage: body.stream_options?.include_usage === true })
  } finally {
    answer.done()
  }
}

/** A streamed answer holds one of its address's stream slots until its response closes, however
 * it ends (finished, failed, the client gone, the server closing). False: refused (answered). */
function holdStreamSlot (clients: ClientLimits, request: FastifyRequest, reply: FastifyReply): boolean {
  let release: () => void
  try {
    release = clients.openStream('openai', clientAddress(request.ip))
  } catch (err) {
    sendError(reply, backendError(err))
    return false
  }
  // the client may have gone while its body was read: its 'close' has been
  if (reply.raw.closed) release()
  else reply.raw.once('close', release)
  return true
}

/** The request's turns, tools and sampling, with the endpoint's defaults for what it leaves out;
 * or the field refused, for what the body's schema cannot say (chatTurns, toolInput). */
export function completionInput (body: ChatCompletionBody, maxTokens: number): Omit<CompletionRequest, 'model'> | FieldRefusal {
  const messages = chatTurns(body.messages)
  if (!Array.isArray(messages)) return messages
  const tools = toolInput(body)
  if ('param' in tools) return tools
  // the agent calls the tools its admin granted it, not a client's
  if (body.model === AGENT_MODEL_ID && tools.tools !== undefined) return { param: 'tools', message: `tools are for the models themselves: model "${AGENT_MODEL_ID}" uses the tools your agent was granted` }
  const params: SamplingParams = {
    maxTokens: body.max_completion_tokens ?? body.max_tokens ?? maxTokens,
    temperature: body.temperature ?? DEFAULT_TEMPERATURE,
    topP: body.top_p ?? DEFAULT_TOP_P,
    topK: body.top_k ?? 0,
    ...(body.seed !== undefined && body.seed !== null && { seed: body.seed }),
    ...(body.stop !== undefined && body.stop !== null && { stop: typeof body.stop === 'string' ? [body.stop] : body.stop })
  }
  return { messages, params, ...tools }
}

/** The 503 of an answer the server's close cut: the client may retry elsewhere at once. */
function shuttingDown (): OpenAiError {
  return { status: 503, body: openAiError('server_error', 'the server is shutting down; retry on another node or later', null, 'server_shutting_down'), retryAfter: 1 }
}

async function wholeAnswer (answers: InFlightAnswers, reply: FastifyReply, run: Run, meta: AnswerMeta): Promise<unknown> {
  const result = await run(() => {})
  if (answers.closing && result.stopReason === 'cancelled') return sendError(reply, shuttingDown())
  return {
    id: meta.id,
    object: 'chat.completion',
    created: meta.created,
    model: meta.model,
    choices: [{ index: 0, message: assistantMessage(result), finish_reason: finishReason(result), logprobs: null }],
    usage: usage(result)
  }
}

/** The answer as OpenAI's message: its calls as tool_calls, its content null when it is only calls. */
function assistantMessage (result: GenerateResult): Record<string, unknown> {
  const calls = toolCalls(result)
  if (calls.length === 0) return { role: 'assistant', content: result.text }
  return { role: 'assistant', content: result.text === '' ? null : result.text, tool_calls: calls }
}

/** Headers go out with the first token (or after STREAM_HEADERS_AFTER_MS), so that a refusal
 * before any token is a real HTTP status; a failure after is an SSE error event. */
async function streamedAnswer (answers: InFlightAnswers, request: FastifyRequest, reply: FastifyReply, run: Run, signal: AbortSignal,
  meta: AnswerMeta & { readonly includeUsage: boolean }): Promise<FastifyReply> {
  const stream = new ChatStream(reply, meta)
  const headersTimer = setTimeout(() => { stream.start() }, STREAM_HEADERS_AFTER_MS)
  let result: GenerateResult
  try {
    result = await run((text) => {
      if (!signal.aborted) stream.token(text)
    })
  } catch (err) {
    if (!stream.started) throw err
    stream.fail(logged(request, backendError(err), err).body)
    return reply
  } finally {
    clearTimeout(headersTimer)
  }
  const cut = result.stopReason === 'cancelled'
  if (cut && answers.closing && !stream.started) return sendError(reply, shuttingDown())
  if (cut && answers.closing) stream.fail(shuttingDown().body)
  else if (cut && signal.aborted) stream.abandon()
  else stream.finish(result, finishReason(result))
  return reply
}
