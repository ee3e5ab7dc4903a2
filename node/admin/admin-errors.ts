import type { Socket } from 'node:net'
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'
import { clip, describe, kindOf } from '../../protocols/index.ts'
import type { ErrorKind } from '../../protocols/index.ts'

/**
 * Every error the admin endpoint answers has one shape, whatever produced it (a route, the
 * validator, Fastify, or Node's HTTP parser): `{ statusCode, code, error, message }` with a
 * stable `code` for scripts and a message that never echoes the client's input at length.
 */
export interface AdminErrorBody {
  readonly statusCode: number
  readonly code: string
  readonly error: string
  readonly message: string
}

/** Each kind of failure as an HTTP status (protocols/errors.ts): the one table of this endpoint. */
const STATUS_OF: Readonly<Record<ErrorKind, number>> = {
  invalid: 400,
  unauthenticated: 401,
  denied: 403,
  'not-found': 404,
  conflict: 409,
  exhausted: 429,
  timeout: 504,
  unavailable: 503,
  internal: 500
}

/** Codes of kinds that say nothing more specific to a script; the others are named after the error
 * (UserExistsError → USER_EXISTS). */
const CODE_OF_KIND: Partial<Readonly<Record<ErrorKind, string>>> = { unavailable: 'UNAVAILABLE', timeout: 'TIMEOUT', internal: 'INTERNAL' }
/** Codes scripts relied on before the kinds existed. */
const CODE_BY_NAME: Readonly<Record<string, string>> = { InferenceUnavailableError: 'MODEL_UNAVAILABLE' }

/** Fastify's and Node's own refusals, in our words (nothing of the request is echoed). */
const FRAMEWORK: Readonly<Record<string, readonly [number, string, string]>> = {
  FST_ERR_CTP_BODY_TOO_LARGE: [413, 'BODY_TOO_LARGE', 'the body is over the limit of 64 KiB'],
  FST_ERR_CTP_INVALID_MEDIA_TYPE: [415, 'UNSUPPORTED_MEDIA_TYPE', 'send bodies as content-type: application/json'],
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: [400, 'BAD_REQUEST', 'content-length does not match the body'],
  FST_ERR_CTP_INVALID_JSON_BODY: [400, 'INVALID_JSON', 'the body is not valid JSON'],
  FST_ERR_BAD_URL: [400, 'BAD_URL', 'the URL is not valid (bad percent-encoding)'],
  FST_ERR_MAX_PARAM_LENGTH: [414, 'URI_TOO_LONG', 'a part of the URL is too long']
}

const REASONS: Readonly<Record<number, string>> = {
  400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed', 409: 'Conflict',
  413: 'Payload Too Large', 414: 'URI Too Long', 415: 'Unsupported Media Type', 429: 'Too Many Requests', 431: 'Request Header Fields Too Large',
  500: 'Internal Server Error', 503: 'Service Unavailable', 504: 'Gateway Timeout'
}

/** Longest message sent: enough to name a field and what was expected. */
const MAX_MESSAGE = 500

export function errorBody (statusCode: number, code: string, message: string): AdminErrorBody {
  return { statusCode, code, error: REASONS[statusCode] ?? 'Error', message: clip(message, MAX_MESSAGE) }
}

export function sendError (reply: FastifyReply, statusCode: number, code: string, message: string): FastifyReply {
  return reply.code(statusCode).type('application/json; charset=utf-8').send(errorBody(statusCode, code, message))
}

/** An error a route throws to be sent as is: its status and stable code. */
export function httpError (statusCode: number, code: string, message: string): Error {
  return Object.assign(new Error(message), { statusCode, code })
}

/** The error handler: validation, Fastify's own refusals, our routes' httpErrors, and everything
 * thrown below them, by kind. Internal failures are logged and answered without their details. */
export function errorReply (err: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (err.validation !== undefined || err.code === 'FST_ERR_VALIDATION') return sendError(reply, 400, 'FST_ERR_VALIDATION', err.message)
  const framework = FRAMEWORK[err.code]
  if (framework !== undefined) return sendError(reply, ...framework)
  if (typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500) {
    return sendError(reply, err.statusCode, typeof err.code === 'string' && /^[A-Z_]+$/.test(err.code) ? err.code : 'BAD_REQUEST', err.message)
  }
  const kind = kindOf(err)
  if (kind === 'internal') {
    request.log.error({ err }, `admin ${request.method} ${clip(request.url, 200)} failed: ${describe(err)}`)
    return sendError(reply, 500, 'INTERNAL', 'internal error; see the node\'s log')
  }
  const status = STATUS_OF[kind]
  if (kind === 'exhausted' || kind === 'unavailable' || kind === 'timeout') {
    const retryAfterMs = (err as { retryAfterMs?: unknown }).retryAfterMs
    void reply.header('retry-after', String(typeof retryAfterMs === 'number' ? Math.max(1, Math.ceil(retryAfterMs / 1000)) : 1))
  }
  const code = CODE_BY_NAME[err.name] ?? CODE_OF_KIND[kind] ?? codeOf(err.name)
  return sendError(reply, status, code, kind === 'unavailable' || kind === 'timeout' ? `${err.message}; retry shortly` : err.message)
}

/** No route for the method and path. */
export function notFound (request: FastifyRequest, reply: FastifyReply): FastifyReply {
  return sendError(reply, 404, 'NOT_FOUND', `no route ${request.method} ${clip(request.url.split('?')[0] ?? '', 100)}; the routes are listed at /docs`)
}

/** What Node's HTTP parser refuses before Fastify sees a request (headers or request line too
 * large, garbage): answered in the same shape, then the connection closes. */
export function clientError (err: Error & { code?: string }, socket: Socket): void {
  if (!socket.writable) {
    socket.destroy()
    return
  }
  const [status, code, message] = err.code === 'HPE_HEADER_OVERFLOW'
    ? [431, 'HEADERS_TOO_LARGE', 'the request line and headers are over the limit of 16 KiB'] as const
    : [400, 'BAD_REQUEST', 'the request is not valid HTTP'] as const
  const body = JSON.stringify(errorBody(status, code, message))
  socket.end(`HTTP/1.1 ${status} ${REASONS[status] ?? 'Error'}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`)
}

/** JSON bodies: an empty one is no body (a client that sets the content type on every request,
 * such as curl -H, sends no body to a route that takes none); a route that needs one says so. */
export function parseJsonBody (_request: FastifyRequest, body: string, done: (err: Error | null, body?: unknown) => void): void {
  if (body.trim().length === 0) {
    done(null, undefined)
    return
  }
  try {
    done(null, JSON.parse(body))
  } catch {
    done(Object.assign(new Error('the body is not valid JSON'), { statusCode: 400, code: 'FST_ERR_CTP_INVALID_JSON_BODY' }))
  }
}

/** `UserExistsError` → `USER_EXISTS`. */
function codeOf (name: string): string {
  const bare = name.endsWith('Error') && name.length > 5 ? name.slice(0, -5) : name
  return bare.replace(/([a-z0-9])([A-Z])/g, '$1_$2').replace(/[^A-Za-z0-9_]/g, '_').toUpperCase() || 'ERROR'
}
