import { randomBytes } from 'node:crypto'
import Fastify, { LogController } from 'fastify'
import type { FastifyBaseLogger, FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { Ajv } from 'ajv'
import type { ChatTurn, GenerateResult, SamplingParams } from '../../runtimes/index.ts'
import { clientAddress, depthLimited, trusting } from '../limits/index.ts'
import type { ClientLimits, TrustedProxies } from '../limits/index.ts'
import { ChatStream } from './chat-stream.ts'
import { CLOSE_GRACE_MS, DEFAULT_TEMPERATURE, DEFAULT_TOP_P, MAX_BODY_BYTES, MAX_TOKEN_CHARS, STREAM_HEADERS_AFTER_MS } from './constants.ts'
import { backendError, openAiError, requestError } from './openai-error.ts'
import type { OpenAiError, ValidationIssue } from './openai-error.ts'
import { chatCompletionBody, chatCompletionResponse, errorResponse, modelListResponse, modelResponse } from './openai-schemas.ts'
import type { ChatCompletionBody } from './openai-schemas.ts'

/** What the endpoint serves, for one user at a time; the node wires it to its agents and models. */
export interface OpenAiBackend {
  /** The user owning this token, or undefined. */
  authenticate (token: string): Promise<string | undefined>
  /** Model ids this user can use: 'agent' (their own agent, with its history) and the raw model names. */
  models (user: string): Promise<Array<{ id: string, created: number }>>
  /**
   * Runs a completion for `user`. Rejects with errors named as in runtimes/errors.ts, or
   * 'RateLimitedError' (has retryAfterMs), 'UnknownModelError', 'InvalidRequestError',
   * 'PermissionDeniedError'. `signal` fires when the client leaves (or the server closes).
   */
  complete (user: string, request: { model: string, messages: ChatTurn[], params: SamplingParams }, onToken: (text: string) => void, signal: AbortSignal): Promise<GenerateResult>
}

export interface OpenAiServerDeps {
  readonly backend: OpenAiBackend
  /** pino (the node's), or false for none. */
  readonly logger: FastifyBaseLogger | false
  readonly defaults: {
    /** max_tokens when the request gives none. */
    readonly maxTokens: number
    /** The most max_tokens a request may ask for (400 beyond). */
    readonly maxTokensLimit: number
  }
  /** A PEM certificate chain and its key: the endpoint then speaks HTTPS only (absent: plain HTTP). */
  readonly https?: { readonly cert: Buffer, readonly key: Buffer }
  /** Reverse proxies whose X-Forwarded-For is believed (config `trusted-proxies`). */
  readonly proxies?: TrustedProxies
  /** The node's limits per client address, shared with its other endpoints (absent: none). */
  readonly clients?: ClientLimits
}

const errors = (...codes: number[]): Record<number, typeof errorResponse> => Object.fromEntries(codes.map((code) => [code, errorResponse]))

/**
 * The OpenAI-compatible endpoint, built but not listening (node/ listens on `--openai-listen`):
 * `POST /v1/chat/completions` (whole or streamed), `GET /v1/models`, `GET /v1/models/:id`, every
 * route behind `Authorization: Bearer <user token>`. Errors have OpenAI's shape and statuses, so
 * that OpenAI SDKs raise their usual exceptions. A client that leaves mid-answer aborts the
 * generation; closing the server aborts every answer in flight.
 */
export async function buildOpenAiServer (deps: OpenAiServerDeps): Promise<FastifyInstance> {
  const { maxTokens, maxTokensLimit } = deps.defaults
  if (!Number.isSafeInteger(maxTokensLimit) || maxTokensLimit < 1) throw new RangeError(`maxTokensLimit must be an integer >= 1, got ${maxTokensLimit}`)
  if (!Number.isSafeInteger(maxTokens) || maxTokens < 1 || maxTokens > maxTokensLimit) throw new RangeError(`maxTokens must be an integer in 1..${maxTokensLimit}, got ${maxTokens}`)
  const { backend } = deps

  const app = Fastify({
    ...(deps.logger === false ? { logger: false } : { loggerInstance: deps.logger }),
    // a line per token-streaming request would drown the log; failures are logged where they happen
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: MAX_BODY_BYTES,
    // close() first ends every answer in flight (preClose below), then drops the connections: a
    // connection that never sent a request (a client's spare, a browser's preconnect) would
    // otherwise hold close() until Node's headersTimeout (60 s)
    forceCloseConnections: true,
    ...(deps.https !== undefined && { https: { cert: deps.https.cert, key: deps.https.key } }),
    ...(deps.proxies !== undefined && deps.proxies.size > 0 && { trustProxy: trusting(deps.proxies) })
  })
  // Fastify's JSON parser (it refuses __proto__ and constructor keys), but a body nested too deep is
  // refused unparsed (400 body_too_deep), before any hook, validator or handler holds it
  const parseJson = depthLimited(app.getDefaultJsonParser('error', 'error'))
  app.removeContentTypeParser('application/json')
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => { parseJson(request, body as string, done) })
  // strict types, nothing coerced or removed; unions (`string` or parts, a value or null) as OpenAI has them
  const ajv = new Ajv({ removeAdditional: false, coerceTypes: false, useDefaults: false, allErrors: false, allowUnionTypes: true, verbose: true })
  app.setValidatorCompiler(({ schema }) => ajv.compile(schema))
  app.setErrorHandler((err: FastifyError, request, reply) => {
    if (err.validation !== undefined || (typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500)) {
      return sendError(reply, requestError({ message: err.message, ...(err.statusCode !== undefined && { statusCode: err.statusCode }), ...(err.validation !== undefined && { validation: err.validation as unknown as ValidationIssue[] }) }))
    }
    return sendError(reply, logged(request, backendError(err), err))
  })
  app.setNotFoundHandler((request, reply) =>
    sendError(reply, { status: 404, body: openAiError('invalid_request_error', `unknown request URL: ${request.method} ${request.url.split('?')[0] ?? ''}`, null, 'unknown_url') }))

  const users = new WeakMap<FastifyRequest, string>()
  const clients = deps.clients
  app.addHook('onRequest', async (request, reply) => {
    const address = clientAddress(request.ip)
    // a request with no token is no attempt: it is refused (401) but not counted
    const presented = request.headers.authorization !== undefined
    try {
      clients?.request('openai', address)
      if (presented) clients?.checkAuthentication('openai', address)
    } catch (err) {
      // 429 rate_limit_exceeded with Retry-After, as a user's own rate limit is answered
      return sendError(reply, backendError(err))
    }
    const token = bearerToken(request.headers.authorization)
    const user = token === undefined ? undefined : await backend.authenticate(token)
    if (user === undefined) {
      if (presented) clients?.failedAuthentication('openai', address)
      void reply.header('www-authenticate', 'Bearer')
      return sendError(reply, {
        status: 401,
        body: openAiError('invalid_request_error', 'missing or invalid API key: send "Authorization: Bearer <your Plexi user token>"', null, 'invalid_api_key')
      })
    }
    try {
      clients?.userRequest('openai', user)
    } catch (err) {
      return sendError(reply, backendError(err))
    }
    users.set(request, user)
  })

  // answers in flight, so that closing the server ends them (with an error the client can act on)
  // instead of waiting for them; each with the promise of its handler's end
  const inFlight = new Map<AbortController, Promise<void>>()
  let closing = false
  app.addHook('preClose', async () => {
    closing = true
    for (const controller of inFlight.keys()) controller.abort()
    let timer: ReturnType<typeof setTimeout> | undefined
    const grace = new Promise<void>((resolve) => { timer = setTimeout(resolve, CLOSE_GRACE_MS) })
    await Promise.race([Promise.all(inFlight.values()), grace])
    clearTimeout(timer)
  })

  app.get('/v1/models', {
    schema: { summary: 'The models this user may use', response: { 200: modelListResponse, ...errors(401) } }
  }, async (request) => {
    const models = await backend.models(userOf(users, request))
    return { object: 'list', data: models.map(modelObject) }
  })

  app.get<{ Params: { '*': string } }>('/v1/models/*', {
    // a wildcard, not :id: upstream model ids may hold a slash (`org/model`)
    schema: { summary: 'One model', response: { 200: modelResponse, ...errors(401, 404) } }
  }, async (request, reply) => {
    const id = request.params['*']
    const model = (await backend.models(userOf(users, request))).find((m) => m.id === id)
    if (model === undefined) {
      return sendError(reply, { status: 404, body: openAiError('invalid_request_error', `the model ${JSON.stringify(id)} does not exist or you do not have access to it`, 'model', 'model_not_found') })
    }
    return modelObject(model)
  })

  app.post<{ Body: ChatCompletionBody }>('/v1/chat/completions', {
    schema: {
      summary: 'A chat completion: one JSON object, or with `stream: true` server-sent chat.completion.chunk events ending in `data: [DONE]`',
      body: chatCompletionBody(maxTokensLimit),
      response: { 200: chatCompletionResponse, ...errors(400, 401, 403, 404, 413, 415, 429, 500, 502, 503) }
    }
  }, async (request, reply) => {
    const user = userOf(users, request)
    const body = request.body
    if (body.stream === true && clients !== undefined) {
      // a streamed answer holds one of its address's stream slots until its response closes,
      // however it ends (finished, failed, the client gone, the server closing)
      let release: () => void
      try {
        release = clients.openStream('openai', clientAddress(request.ip))
      } catch (err) {
        return sendError(reply, backendError(err))
      }
      // the client may have gone while its body was read: its 'close' has been
      if (reply.raw.closed) release()
      else reply.raw.once('close', release)
    }
    const messages: ChatTurn[] = body.messages.map((m) => ({
      role: m.role,
      // text parts are joined as separate lines, as vLLM and llama-server do
      content: typeof m.content === 'string' ? m.content : m.content.map((p) => p.text).join('\n')
    }))
    const params: SamplingParams = {
      maxTokens: body.max_completion_tokens ?? body.max_tokens ?? maxTokens,
      temperature: body.temperature ?? DEFAULT_TEMPERATURE,
      topP: body.top_p ?? DEFAULT_TOP_P,
      topK: body.top_k ?? 0,
      ...(body.seed !== undefined && body.seed !== null && { seed: body.seed }),
      ...(body.stop !== undefined && body.stop !== null && { stop: typeof body.stop === 'string' ? [body.stop] : body.stop })
    }
    const id = `chatcmpl-${randomBytes(12).toString('hex')}`
    const created = Math.floor(Date.now() / 1000)

    const controller = new AbortController()
    const onClose = (): void => { if (!reply.raw.writableFinished) controller.abort() }
    reply.raw.on('close', onClose)
    // in flight until the response is written out (or the client gone), not just until we return
    inFlight.set(controller, new Promise<void>((resolve) => {
      reply.raw.once('close', () => {
        inFlight.delete(controller)
        resolve()
      })
    }))
    const complete = (onToken: (text: string) => void): Promise<GenerateResult> =>
      backend.complete(user, { model: body.model, messages, params }, onToken, controller.signal)
    const closed = (): OpenAiError => ({ status: 503, body: openAiError('server_error', 'the server is shutting down; retry on another node or later', null, 'server_shutting_down'), retryAfter: 1 })

    try {
      if (body.stream !== true) {
        const result = await complete(() => {})
        if (closing && result.stopReason === 'cancelled') return sendError(reply, closed())
        return {
          id,
          object: 'chat.completion',
          created,
          model: body.model,
          choices: [{ index: 0, message: { role: 'assistant', content: result.text }, finish_reason: finishReason(result), logprobs: null }],
          usage: usage(result)
        }
      }

      const stream = new ChatStream(reply, { id, created, model: body.model, includeUsage: body.stream_options?.include_usage === true })
      const headersTimer = setTimeout(() => { stream.start() }, STREAM_HEADERS_AFTER_MS)
      let result: GenerateResult
      try {
        result = await complete((text) => {
          if (!controller.signal.aborted) stream.token(text)
        })
      } catch (err) {
        if (!stream.started) throw err
        stream.fail(logged(request, backendError(err), err).body)
        return reply
      } finally {
        clearTimeout(headersTimer)
      }
      const cut = result.stopReason === 'cancelled'
      if (cut && closing && !stream.started) return sendError(reply, closed())
      if (cut && closing) stream.fail(closed().body)
      else if (cut && controller.signal.aborted) stream.abandon()
      else stream.finish(result, finishReason(result))
      return reply
    } finally {
      reply.raw.off('close', onClose)
    }
  })

  return app
}

function sendError (reply: FastifyReply, err: OpenAiError): FastifyReply {
  if (err.retryAfter !== undefined) void reply.header('retry-after', String(err.retryAfter))
  return reply.code(err.status).send(err.body)
}

/** Writes the real failure to the log when the client gets a fixed message in its place. */
function logged (request: FastifyRequest, reply: OpenAiError, err: unknown): OpenAiError {
  if (reply.log !== undefined) request.log[reply.log]({ err }, `openai ${request.method} ${request.url} failed: ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`)
  return reply
}

/** `Bearer <token>` (the scheme in any case, RFC 9110 §11.1), or undefined. */
function bearerToken (header: string | undefined): string | undefined {
  const match = header === undefined ? null : /^bearer +(\S+) *$/i.exec(header)
  const token = match?.[1]
  return token !== undefined && token.length <= MAX_TOKEN_CHARS ? token : undefined
}

function userOf (users: WeakMap<FastifyRequest, string>, request: FastifyRequest): string {
  const user = users.get(request)
  // the onRequest hook answers 401 before any route runs without a user
  if (user === undefined) throw new Error('no authenticated user on the request')
  return user
}

function modelObject (m: { id: string, created: number }): Record<string, unknown> {
  return { id: m.id, object: 'model', created: m.created, owned_by: 'plexi' }
}

/** OpenAI has no 'cancelled' or 'context-full': a full context stopped the answer at a length. */
function finishReason (result: GenerateResult): 'stop' | 'length' {
  return result.stopReason === 'max-tokens' || result.stopReason === 'context-full' ? 'length' : 'stop'
}

function usage (result: GenerateResult): { prompt_tokens: number, completion_tokens: number, total_tokens: number } {
  return { prompt_tokens: result.promptTokens, completion_tokens: result.completionTokens, total_tokens: result.promptTokens + result.completionTokens }
}
