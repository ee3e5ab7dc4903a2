import type { FastifyInstance, FastifyRequest } from 'fastify'
import { clientAddress } from '../limits/index.ts'
import type { ClientLimits } from '../limits/index.ts'
import { MAX_TOKEN_CHARS } from './constants.ts'
import type { OpenAiBackend } from './openai-backend.ts'
import { backendError, openAiError, sendError } from './openai-error.ts'

/** The user each request authenticated as. */
export type UserOf = (request: FastifyRequest) => string

/**
 * Every request of the endpoint, before any route: its client address's limits (rate, and the
 * failed-authentication check when it carries a key), its key (`Authorization: Bearer <user
 * token>`: 401 invalid_api_key otherwise, counted as a failed authentication when one was sent),
 * and its user's request budget. An `onRequest` hook on `app` (the parent scope, so every route
 * plugin registered after it is behind it); returns how routes read the request's user.
 */
export function requestAuth (app: FastifyInstance, deps: { readonly backend: OpenAiBackend, readonly clients?: ClientLimits | undefined }): UserOf {
  const users = new WeakMap<FastifyRequest, string>()
  const { backend, clients } = deps
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
  return (request) => {
    const user = users.get(request)
    // the onRequest hook answers 401 before any route runs without a user
    if (user === undefined) throw new Error('no authenticated user on the request')
    return user
  }
}

/** `Bearer <token>` (the scheme in any case, RFC 9110 §11.1), or undefined. */
export function bearerToken (header: string | undefined): string | undefined {
  const match = header === undefined ? null : /^bearer +(\S+) *$/i.exec(header)
  const token = match?.[1]
  return token !== undefined && token.length <= MAX_TOKEN_CHARS ? token : undefined
}
