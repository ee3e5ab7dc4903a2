import Fastify, { LogController } from 'fastify'
import type { FastifyBaseLogger, FastifyError, FastifyInstance } from 'fastify'
import { Ajv } from 'ajv'
import { LAZY_SCHEMA_CONTROLLER, depthLimited, lazyValidator, trusting } from '../limits/index.ts'
import type { ClientLimits, TrustedProxies } from '../limits/index.ts'
import { completionRoutes } from './completion-routes.ts'
import { MAX_BODY_BYTES } from './constants.ts'
import { InFlightAnswers } from './in-flight-answers.ts'
import { modelRoutes } from './model-routes.ts'
import type { OpenAiBackend } from './openai-backend.ts'
import { backendError, logged, openAiError, requestError, sendError } from './openai-error.ts'
import type { ValidationIssue } from './openai-error.ts'
import { requestAuth } from './request-auth.ts'
import type { UserOf } from './request-auth.ts'

export type { OpenAiBackend } from './openai-backend.ts'

/** Routes another folder serves on this endpoint (the MCP server's /mcp): a Fastify plugin made
 * from what the endpoint's routes share, registered after its own, behind the same authentication
 * and limits per client address and per user. */
export type OpenAiRoutes = (shared: { readonly userOf: UserOf }) => (app: FastifyInstance) => Promise<void>

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
  /** More routes on this listener, each its own plugin (absent: none). */
  readonly routes?: readonly OpenAiRoutes[]
}

/**
 * The OpenAI-compatible endpoint, built but not listening (node/ listens on `--openai-listen`):
 * `POST /v1/chat/completions` (whole or streamed), `GET /v1/models`, `GET /v1/models/:id`, every
 * route behind `Authorization: Bearer <user token>`. Errors have OpenAI's shape and statuses, so
 * that OpenAI SDKs raise their usual exceptions. A client that leaves mid-answer aborts the
 * generation; closing the server aborts every answer in flight. The parent scope holds what every
 * route shares (body parsing and validation, errors, authentication and the client limits, the
 * answers in flight); each resource is a plugin of its own (modelRoutes, completionRoutes).
 */
export async function buildOpenAiServer (deps: OpenAiServerDeps): Promise<FastifyInstance> {
  const { maxTokens, maxTokensLimit } = deps.defaults
  if (!Number.isSafeInteger(maxTokensLimit) || maxTokensLimit < 1) throw new RangeError(`maxTokensLimit must be an integer >= 1, got ${maxTokensLimit}`)
  if (!Number.isSafeInteger(maxTokens) || maxTokens < 1 || maxTokens > maxTokensLimit) throw new RangeError(`maxTokens must be an integer in 1..${maxTokensLimit}, got ${maxTokens}`)
  const { backend, clients } = deps

  const app = Fastify({
    ...(deps.logger === false ? { logger: false } : { loggerInstance: deps.logger }),
    // a line per token-streaming request would drown the log; failures are logged where they happen
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: MAX_BODY_BYTES,
    schemaController: LAZY_SCHEMA_CONTROLLER,
    // close() first ends every answer in flight (preClose below), then drops the connections: a
    // connection that never sent a request (a client's spare, a browser's preconnect) would
    // otherwise hold close() until Node's headersTimeout (60 s)
    forceCloseConnections: true,
    ...(deps.https !== undefined && { https: { cert: deps.https.cert, key: deps.https.key } }),
    ...(deps.proxies !== undefined && deps.proxies.size > 0 && { trustProxy: trusting(deps.proxies) })
  })
  strictBodies(app)
  app.setErrorHandler((err: FastifyError, request, reply) => {
    if (err.validation !== undefined || (typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500)) {
      return sendError(reply, requestError({ message: err.message, ...(err.statusCode !== undefined && { statusCode: err.statusCode }), ...(err.validation !== undefined && { validation: err.validation as unknown as ValidationIssue[] }) }))
    }
    return sendError(reply, logged(request, backendError(err), err))
  })
  app.setNotFoundHandler((request, reply) =>
    sendError(reply, { status: 404, body: openAiError('invalid_request_error', `unknown request URL: ${request.method} ${request.url.split('?')[0] ?? ''}`, null, 'unknown_url') }))

  // before the routes, so that every route plugin is behind them
  const userOf = requestAuth(app, { backend, clients })
  const answers = new InFlightAnswers()
  app.addHook('preClose', async () => { await answers.close() })

  await app.register(modelRoutes({ backend, userOf }))
  await app.register(completionRoutes({ backend, userOf, defaults: deps.defaults, answers, clients }))
  for (const routes of deps.routes ?? []) await app.register(routes({ userOf }))
  return app
}

/** Fastify's JSON parser (it refuses __proto__ and constructor keys), but a body nested too deep is
 * refused unparsed (400 body_too_deep), before any hook, validator or handler holds it; and a
 * validator with strict types, nothing coerced or removed, unions (`string` or parts, a value or
 * null) as OpenAI has them. */
function strictBodies (app: FastifyInstance): void {
  const parseJson = depthLimited(app.getDefaultJsonParser('error', 'error'))
  app.removeContentTypeParser('application/json')
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => { parseJson(request, body as string, done) })
  const ajv = new Ajv({ removeAdditional: false, coerceTypes: false, useDefaults: false, allErrors: false, allowUnionTypes: true, verbose: true })
  app.setValidatorCompiler(({ schema }) => lazyValidator(() => ajv.compile(schema)))
}
