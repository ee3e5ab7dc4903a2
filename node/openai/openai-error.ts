/**
 * Failures as OpenAI clients expect them: `{ error: { message, type, param, code } }` with the
 * HTTP status their SDKs map to exception classes (400 BadRequest, 401 Authentication, 403
 * PermissionDenied, 404 NotFound, 429 RateLimit, 5xx InternalServer), and Retry-After where a
 * retry is worth it (the SDKs honour it).
 */
import type { FastifyReply, FastifyRequest } from 'fastify'
import { kindOf } from '../../protocols/index.ts'
import { replicasUnavailable } from '../replication/index.ts'
import type { ErrorKind } from '../../protocols/index.ts'

export interface OpenAiErrorBody {
  readonly error: {
    readonly message: string
    readonly type: string
    readonly param: string | null
    readonly code: string | null
  }
}

export interface OpenAiError {
  readonly status: number
  readonly body: OpenAiErrorBody
  /** Seconds, for the Retry-After header. */
  readonly retryAfter?: number
  /** How the node's log should record it: 'error' for our bugs, 'warn' for a model that failed
   * (its real message is logged, not sent), undefined for the client's own mistakes. */
  readonly log?: 'error' | 'warn'
}

export function openAiError (type: string, message: string, param: string | null = null, code: string | null = null): OpenAiErrorBody {
  return { error: { message, type, param, code } }
}

/** A field of the request refused by the route itself, for what a schema cannot say (a tool
 * choice that names no tool offered, arguments that are not JSON): 400 naming it. */
export interface FieldRefusal {
  readonly param: string
  readonly message: string
}

export function refused ({ param, message }: FieldRefusal): OpenAiError {
  return { status: 400, body: openAiError('invalid_request_error', message, param, 'invalid_value') }
}

/** Answers with `err`: its status, its body, and Retry-After when it has one. */
export function sendError (reply: FastifyReply, err: OpenAiError): FastifyReply {
  if (err.retryAfter !== undefined) void reply.header('retry-after', String(err.retryAfter))
  return reply.code(err.status).send(err.body)
}

/** Writes the real failure to the log when the client gets a fixed message in its place. */
export function logged (request: FastifyRequest, reply: OpenAiError, err: unknown): OpenAiError {
  if (reply.log !== undefined) request.log[reply.log]({ err }, `openai ${request.method} ${request.url} failed: ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`)
  return reply
}

/** Each kind of failure as OpenAI's clients expect it (protocols/errors.ts): the one table of this
 * endpoint. `log` says how the node's log records it: 'error' for our bugs, 'warn' for a model or
 * a member that failed, nothing for the client's own mistakes. */
const BY_KIND: Readonly<Record<ErrorKind, { readonly status: number, readonly type: string, readonly code: string | null, readonly log?: 'error' | 'warn' }>> = {
  invalid: { status: 400, type: 'invalid_request_error', code: null },
  'not-found': { status: 404, type: 'invalid_request_error', code: 'not_found' },
  unauthenticated: { status: 401, type: 'authentication_error', code: 'invalid_api_key' },
  denied: { status: 403, type: 'invalid_request_error', code: 'permission_denied' },
  conflict: { status: 409, type: 'invalid_request_error', code: 'conflict' },
  exhausted: { status: 429, type: 'rate_limit_error', code: 'rate_limit_exceeded' },
  timeout: { status: 504, type: 'server_error', code: 'timeout', log: 'warn' },
  unavailable: { status: 503, type: 'server_error', code: 'model_unavailable', log: 'warn' },
  internal: { status: 500, type: 'server_error', code: null, log: 'error' }
}

/** OpenAI names some failures more precisely than their kind: the field at fault and its code. */
const BY_NAME: Readonly<Record<string, { readonly param?: string, readonly code: string }>> = {
  UnknownModelError: { param: 'model', code: 'model_not_found' },
  PromptTooLongError: { param: 'messages', code: 'context_length_exceeded' },
  // the model's runtime cannot hold a forced call to the schema (its message names the tool)
  UnsupportedToolSchemaError: { param: 'tools', code: 'unsupported_tool_schema' },
  InferenceQueueFullError: { code: 'queue_full' },
  BodyTooDeepError: { code: 'body_too_deep' }
}

/**
 * What a failure of the backend becomes: its kind picks the status (protocols/errors.ts). The
 * messages of the client's own mistakes are passed on; failures of a model, a member or the node
 * get a fixed message, since theirs may name internal hosts (they are logged whole). A failure a
 * client should retry carries Retry-After.
 */
export function backendError (err: unknown): OpenAiError {
  const e = err as { name?: unknown, message?: unknown, retryAfterMs?: unknown, status?: unknown } | null
  const name = typeof e?.name === 'string' ? e.name : ''
  const message = typeof e?.message === 'string' ? e.message : String(err)
  const retryAfter = typeof e?.retryAfterMs === 'number' ? seconds(e.retryAfterMs) : undefined
  const kind = kindOf(err)
  if (name === 'RemoteInferenceError') {
    // the model's own server refused: its 429 and 503 are ours too (retry later); anything else
    // is that server's or our config's fault (a wrong API key there is not the client's 401)
    const status = typeof e?.status === 'number' ? e.status : 502
    if (status === 429) return { status: 429, body: openAiError('rate_limit_error', 'the model\'s server is rate limiting; retry later', null, 'rate_limit_exceeded'), retryAfter: retryAfter ?? 1, log: 'warn' }
    if (status === 503) return { status: 503, body: openAiError('server_error', 'the model\'s server is busy; retry shortly', null, 'model_unavailable'), ...(retryAfter !== undefined && { retryAfter }), log: 'warn' }
    return { status: 502, body: openAiError('server_error', `the model's server answered ${status}; see the node's log`, null, 'upstream_error'), log: 'warn' }
  }
  if (name === 'ReplicasUnavailableError') {
    // a lost quorum is the node's news, logged once when it happened (node/replication WriteQuorum),
    // not at each request; worded from its fields, since its message names peers
    const q = err as { needed?: unknown, answered?: unknown, op?: unknown }
    const words = typeof q.needed === 'number' && typeof q.answered === 'number'
      ? replicasUnavailable(q.op === 'read' ? 'read' : 'write', q.needed, q.answered)
      : 'too few replicas of the conversation\'s journal are reachable'
    return { status: 503, body: openAiError('server_error', `${words}; retry when more storage nodes are up`, null, 'replicas_unavailable'), retryAfter: retryAfter ?? 1 }
  }
  const mapped = BY_KIND[kind]
  const precise = BY_NAME[name]
  const shown = kind === 'internal'
    ? 'the server had an error while processing your request; see the node\'s log'
    : kind === 'unavailable' || kind === 'timeout' ? 'the model is not available right now; retry shortly' : message
  const retry = kind === 'exhausted' || kind === 'unavailable' || kind === 'timeout' ? retryAfter ?? 1 : undefined
  return {
    status: mapped.status,
    body: openAiError(mapped.type, shown, precise?.param ?? null, precise?.code ?? mapped.code),
    ...(retry !== undefined && { retryAfter: retry }),
    ...(mapped.log !== undefined && { log: mapped.log })
  }
}

/** Fastify's own 4xx (a body that is not JSON, too large, a wrong content type) and validation
 * failures, with the field named as OpenAI does (`messages[0].role`). */
export function requestError (err: { statusCode?: number, message: string, validation?: readonly ValidationIssue[] }): OpenAiError {
  const issue = err.validation?.[0]
  if (issue !== undefined) {
    const { param, message, code } = describeIssue(issue)
    return { status: 400, body: openAiError('invalid_request_error', message, param, code) }
  }
  const status = err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 400
  return { status, body: openAiError('invalid_request_error', err.message) }
}

/** An Ajv error object (verbose: `data` is the value that failed). */
export interface ValidationIssue {
  readonly keyword: string
  readonly instancePath: string
  readonly params: Record<string, unknown>
  readonly message?: string | undefined
  readonly data?: unknown
}

function describeIssue (issue: ValidationIssue): { param: string | null, message: string, code: string } {
  let path = issue.instancePath.split('/').slice(1).map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
  if (issue.keyword === 'required' && typeof issue.params.missingProperty === 'string') path = [...path, issue.params.missingProperty]
  const param = path.length === 0 ? null : path.reduce((p, s) => /^\d+$/.test(s) ? `${p}[${s}]` : p === '' ? s : `${p}.${s}`, '')
  const field = param ?? 'the body'
  const got = `, got ${shown(issue.data)}`
  switch (issue.keyword) {
    case 'required':
      return { param, message: `${field} is required`, code: 'missing_required_parameter' }
    case 'type': {
      const types = String(issue.params.type).split(',').filter((t) => t !== 'null')
      const expected = field === 'the body' ? 'a JSON object' : types.map(typeName).join(' or ')
      return { param, message: `${field} must be ${expected}${got}`, code: 'invalid_type' }
    }
    case 'enum': {
      const allowed = (issue.params.allowedValues as unknown[]).filter((v) => v !== null).map((v) => JSON.stringify(v))
      return { param, message: `${field} must be ${allowed.length === 1 ? allowed[0] : `one of ${allowed.join(', ')}`}${got}`, code: 'invalid_value' }
    }
    case 'const':
      return { param, message: `${field} must be ${JSON.stringify(issue.params.allowedValue)}${got}`, code: 'invalid_value' }
    case 'minItems':
      return { param, message: issue.params.limit === 1 ? `${field} must not be empty` : `${field} must have at least ${String(issue.params.limit)} items`, code: 'invalid_value' }
    case 'maxItems':
      return { param, message: `${field} may have at most ${String(issue.params.limit)} items`, code: 'invalid_value' }
    case 'minLength':
      return { param, message: issue.params.limit === 1 ? `${field} must not be empty` : `${field} must be at least ${String(issue.params.limit)} characters`, code: 'invalid_value' }
    case 'maxLength':
      return { param, message: `${field} may be at most ${String(issue.params.limit)} characters`, code: 'invalid_value' }
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      return { param, message: `${field} ${issue.message ?? 'is out of range'}${got}`, code: 'invalid_value' }
    default:
      return { param, message: `${field} ${issue.message ?? 'is invalid'}`, code: 'invalid_value' }
  }
}

function typeName (type: string): string {
  return ({ array: 'an array', object: 'an object', integer: 'an integer', number: 'a number', string: 'a string', boolean: 'a boolean' } as Record<string, string>)[type] ?? type
}

/** The offending value, short: enough to recognise it, never a whole message back. */
function shown (value: unknown): string {
  if (value === undefined) return 'nothing'
  const json = JSON.stringify(value) ?? String(value)
  return json.length > 40 ? `${json.slice(0, 40)}…` : json
}

/** Retry-After is whole seconds; never 0 (a client would retry at once). */
function seconds (ms: number): number {
  return Math.max(1, Math.ceil(ms / 1000))
}
