import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { ErrorCode } from '@modelcontextprotocol/sdk/types.js'
import type { RequestId } from '@modelcontextprotocol/sdk/types.js'
import { describe, kindOf } from '../../protocols/index.ts'
import { clientAddress } from '../limits/index.ts'
import type { ClientLimits } from '../limits/index.ts'
import type { OpenAiRoutes, UserOf } from '../openai/index.ts'
import type { ServiceFailures, ServiceLog } from '../services/index.ts'
import { MAX_BATCH_MESSAGES, MCP_PATH } from './constants.ts'
import { hostCheck } from './host-check.ts'
import type { McpBackend } from './mcp-backend.ts'
import { NO_MCP_METRICS } from './mcp-metrics.ts'
import type { McpMetrics } from './mcp-metrics.ts'
import type { McpSession } from './mcp-session.ts'
import { McpSessions } from './mcp-sessions.ts'

export interface McpRoutesDeps {
  readonly backend: McpBackend
  /** The OpenAI listener's host: a loopback one turns on the Host and Origin checks (hostCheck). */
  readonly listenHost: string
  /** The node's limits per client address: a GET stream and an agent's answer hold a stream slot. */
  readonly clients?: ClientLimits | undefined
  /** @default NO_MCP_METRICS */
  readonly metrics?: McpMetrics
  /** The node's service failures: the idle-session sweep is a PeriodicService. */
  readonly failures: ServiceFailures
  /** Where tool failures and the sweep's are written. */
  readonly log: ServiceLog
  /** The session limits, for tests (constants.ts otherwise). */
  readonly sessions?: { readonly maxSessions?: number, readonly maxPerUser?: number, readonly idleMs?: number, readonly sweepMs?: number }
}

/** One message of a POST body as far as the routes look at it. */
interface Message { readonly method?: unknown, readonly id?: unknown, readonly params?: { readonly name?: unknown } }

/**
 * `/mcp` on the OpenAI listener: MCP's streamable HTTP transport (POST messages, GET the server's
 * stream, DELETE the session), behind the listener's own authentication (a user's token as
 * bearer; 401 with WWW-Authenticate otherwise) and limits per client address and per user. In
 * this plugin's scope: the Host and Origin check, then the session: a POST without a session id
 * must be an `initialize` (it opens one for the token's user), any other request names a session
 * of that same user (404 otherwise, as for one that expired). Refusals and Fastify's own (a body
 * that is not JSON, too large, too deep) are JSON-RPC errors; the sessions close with the server.
 */
export function mcpRoutes (deps: McpRoutesDeps): OpenAiRoutes {
  return ({ userOf }) => async (app: FastifyInstance): Promise<void> => {
    const metrics = deps.metrics ?? NO_MCP_METRICS
    const sessions = new McpSessions({ backend: deps.backend, metrics, log: deps.log, failures: deps.failures, ...deps.sessions })
    sessions.start()
    app.addHook('preClose', async () => { await sessions.close() })
    app.setErrorHandler((err: FastifyError, request, reply) => {
      const status = typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : kindOf(err) === 'invalid' ? 400 : 500
      if (status === 500) request.log.error({ err }, `mcp ${request.method} failed: ${describe(err)}`)
      // the only 400s here are of the body's parsing (not JSON; too deep: BodyTooDeepError)
      const code = status === 400 ? ErrorCode.ParseError : status === 500 ? ErrorCode.InternalError : -32000
      return rpcError(reply, status, code, status === 500 ? 'the server had an error; see the node\'s log' : `${status === 400 ? 'Parse error: ' : ''}${err.message}`)
    })
    const check = hostCheck(deps.listenHost)
    app.addHook('onRequest', async (request, reply) => {
      try {
        check({ host: request.headers.host, origin: request.headers.origin })
      } catch (err) {
        metrics.refused('host')
        return rpcError(reply, 403, -32000, `Forbidden: ${(err as Error).message}`)
      }
    })
    app.route({
      method: ['POST', 'GET', 'DELETE'],
      url: MCP_PATH,
      handler: async (request, reply) => { await serve({ ...deps, metrics, sessions, userOf }, request, reply) }
    })
  }
}

type ServeDeps = McpRoutesDeps & { readonly metrics: McpMetrics, readonly sessions: McpSessions, readonly userOf: UserOf }

async function serve (deps: ServeDeps, request: FastifyRequest, reply: FastifyReply): Promise<void> {
  const user = deps.userOf(request)
  const messages = messagesOf(request.body)
  if (messages.length > MAX_BATCH_MESSAGES) return void rpcError(reply, 400, ErrorCode.InvalidRequest, `a batch may hold at most ${MAX_BATCH_MESSAGES} messages, got ${messages.length}`)
  try {
    // the listener counted the HTTP request; each further message of a batch is one more
    for (let i = 1; i < messages.length; i++) deps.clients?.userRequest('openai', user)
  } catch (err) {
    return void refusedRetry(reply, err)
  }
  const session = await sessionOf(deps, request, reply, user, messages)
  if (session === undefined) return
  if (!holdStreamSlot(deps.clients, request, reply, messages)) {
    if (!session.initialized) await session.close('closed')
    return
  }
  reply.hijack()
  try {
    await session.handle(request.raw, reply.raw, request.body, requestIds(messages))
  } catch (err) {
    request.log.error({ err }, `mcp ${request.method} failed: ${describe(err)}`)
    if (!reply.raw.headersSent) reply.raw.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify(rpcBody(ErrorCode.InternalError, 'the server had an error; see the node\'s log')))
    else reply.raw.destroy()
  } finally {
    // an initialize the transport refused leaves a session no one can name
    if (!session.initialized) await session.close('closed')
  }
}

/** The request's session: a new one for an `initialize` without a session id, else the one its
 * id names if it is the user's. Undefined: refused (answered). */
async function sessionOf (deps: ServeDeps, request: FastifyRequest, reply: FastifyReply, user: string, messages: readonly Message[]): Promise<McpSession | undefined> {
  const header = request.headers['mcp-session-id']
  if (header === undefined) {
    if (request.method !== 'POST' || !messages.some((m) => m.method === 'initialize')) {
      deps.metrics.refused('no-session')
      return void rpcError(reply, 400, -32000, 'Bad Request: no Mcp-Session-Id header: open a session with an initialize request first')
    }
    try {
      return await deps.sessions.open(user)
    } catch (err) {
      deps.metrics.refused('session-limit')
      return void refusedRetry(reply, err)
    }
  }
  const session = typeof header === 'string' ? deps.sessions.get(header, user) : undefined
  if (session === undefined) {
    deps.metrics.refused('unknown-session')
    return void rpcError(reply, 404, -32001, 'Session not found: it ended or expired; open a new one with an initialize request')
  }
  return session
}

/** A GET (the server's stream) and a POST that asks the agent hold one of the address's stream
 * slots until their response closes. False: refused (answered). */
function holdStreamSlot (clients: ClientLimits | undefined, request: FastifyRequest, reply: FastifyReply, messages: readonly Message[]): boolean {
  const streams = request.method === 'GET' || messages.some((m) => m.method === 'tools/call' && m.params?.name === 'ask_agent')
  if (clients === undefined || !streams) return true
  let release: () => void
  try {
    release = clients.openStream('openai', clientAddress(request.ip))
  } catch (err) {
    refusedRetry(reply, err)
    return false
  }
  if (reply.raw.closed) release()
  else reply.raw.once('close', release)
  return true
}

/** A POST body's messages (one, or a batch); none for a GET or a DELETE. */
function messagesOf (body: unknown): readonly Message[] {
  const all: unknown[] = Array.isArray(body) ? body : body === undefined || body === null ? [] : [body]
  return all.filter((m): m is Message => typeof m === 'object' && m !== null && !Array.isArray(m))
}

/** The ids of the requests among `messages` (notifications and responses have none to answer). */
function requestIds (messages: readonly Message[]): RequestId[] {
  return messages.filter((m) => typeof m.method === 'string').flatMap((m) => typeof m.id === 'string' || typeof m.id === 'number' ? [m.id] : [])
}

/** A limit's refusal: 429 with Retry-After when it says when to retry. */
function refusedRetry (reply: FastifyReply, err: unknown): FastifyReply {
  const ms = (err as { retryAfterMs?: unknown }).retryAfterMs
  void reply.header('retry-after', String(typeof ms === 'number' ? Math.max(1, Math.ceil(ms / 1000)) : 1))
  return rpcError(reply, 429, -32000, err instanceof Error ? err.message : String(err))
}

function rpcBody (code: number, message: string): Record<string, unknown> {
  return { jsonrpc: '2.0', error: { code, message }, id: null }
}

function rpcError (reply: FastifyReply, status: number, code: number, message: string): FastifyReply {
  return reply.code(status).header('content-type', 'application/json').send(rpcBody(code, message))
}
