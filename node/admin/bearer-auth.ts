import type { FastifyReply, FastifyRequest, onRequestAsyncHookHandler } from 'fastify'
import { tokenMatcher } from '../identity/index.ts'
import { clientAddress } from '../limits/index.ts'
import type { ClientLimits } from '../limits/index.ts'
import { sendError } from './admin-errors.ts'
import { markRefusedUnchecked, setPrincipal } from './request-identity.ts'
import type { Principal } from './request-identity.ts'
import type { AdminTokensView } from './routes/tokens-routes.ts'

export interface BearerAuthOptions {
  readonly adminToken: string
  /** This node's named admin tokens with their scopes (absent: the main admin token alone). */
  readonly tokens?: Pick<AdminTokensView, 'match'> | undefined
  /** The node's limits per client address: failed authentications are counted and throttled, and
   * each admin token has a request budget of its own (absent: none). */
  readonly clients?: Pick<ClientLimits, 'checkAuthentication' | 'failedAuthentication' | 'userRequest'> | undefined
}

/**
 * The /api/v1 scope's onRequest hook: a request needs the admin token or a named one (401
 * otherwise, counted against its address when it presented one; 429 unchecked once its address
 * failed too often), and a token of scope read may only read (403). Its principal is kept on the
 * request (request-identity.ts) for the audit trail.
 */
export function bearerAuth (opts: BearerAuthOptions): onRequestAsyncHookHandler {
  const clients = opts.clients
  const isAdminToken = tokenMatcher(opts.adminToken)
  return async (request, reply) => {
    // a request with no token is no attempt: it is refused (401) but not counted
    const presented = request.headers.authorization !== undefined
    const address = clientAddress(request.ip)
    if (presented && clients !== undefined) {
      try {
        clients.checkAuthentication('admin', address)
      } catch (err) {
        markRefusedUnchecked(request)
        throw err
      }
    }
    const principal = principalFor(request, isAdminToken, opts.tokens)
    if (principal === undefined) {
      if (presented) clients?.failedAuthentication('admin', address)
      return unauthorized(reply, 'admin token')
    }
    setPrincipal(request, principal)
    // one budget per admin token (`admin`, `token:NAME`), from wherever its requests come
    clients?.userRequest('admin', principal.actor)
    if (principal.scope === 'read' && request.method !== 'GET' && request.method !== 'HEAD') {
      return sendError(reply, 403, 'READ_ONLY_TOKEN', `the admin token ${principal.actor.slice('token:'.length)} may only read (scope read): ${request.method} needs the admin token or one of scope admin`)
    }
  }
}

/** Whether the request carries the token `matches` was made for (tokenMatcher: compared whole, in
 * constant time) as its bearer token. */
export function authorized (request: FastifyRequest, matches: (presented: string) => boolean): boolean {
  const header = request.headers.authorization
  return typeof header === 'string' && header.startsWith('Bearer ') && matches(header.slice(7).trim())
}

/** 401 UNAUTHORIZED with the challenge, naming the token that was missing or wrong. */
export function unauthorized (reply: FastifyReply, what: string): FastifyReply {
  void reply.header('www-authenticate', 'Bearer')
  return sendError(reply, 401, 'UNAUTHORIZED', `missing or wrong ${what}: send "Authorization: Bearer <token>"`)
}

/** The main admin token, or a named one with its scope; undefined for no token or a wrong one. */
function principalFor (request: FastifyRequest, isAdminToken: (presented: string) => boolean, tokens: Pick<AdminTokensView, 'match'> | undefined): Principal | undefined {
  if (authorized(request, isAdminToken)) return { actor: 'admin', scope: 'admin' }
  const header = request.headers.authorization
  if (tokens === undefined || typeof header !== 'string' || !header.startsWith('Bearer ')) return undefined
  const named = tokens.match(header.slice(7).trim())
  return named === undefined ? undefined : { actor: `token:${named.name}`, scope: named.scope }
}
