import type { FastifyInstance } from 'fastify'
import { BEARER, errors, tokenNameParam, tokenSchema } from '../../../protocols/admin/index.ts'
import { httpError } from '../admin-errors.ts'

/** What the admin API asks of the named admin tokens (node/identity AdminTokens). */
export interface AdminTokensView {
  match (token: string): { readonly name: string, readonly scope: 'read' | 'admin' } | undefined
  list (): Array<{ readonly name: string, readonly scope: string, readonly createdAt: number }>
  add (name: string, scope: 'read' | 'admin'): Promise<{ entry: { readonly name: string, readonly scope: string, readonly createdAt: number }, token: string }>
  remove (name: string): Promise<{ readonly name: string, readonly scope: string, readonly createdAt: number }>
}

export interface TokensRoutesDeps {
  /** This node's named admin tokens (absent: the main admin token alone, and the routes answer 503). */
  readonly tokens?: Pick<AdminTokensView, 'list' | 'add' | 'remove'> | undefined
}

/** `/api/v1/tokens`: this node's named admin tokens, made (shown once), listed and revoked. */
export function tokensRoutes (deps: TokensRoutesDeps) {
  return async (api: FastifyInstance): Promise<void> => {
    const tokensOf = (): Pick<AdminTokensView, 'list' | 'add' | 'remove'> => {
      if (deps.tokens === undefined) throw httpError(503, 'UNAVAILABLE', 'this node keeps no named admin tokens')
      return deps.tokens
    }
    api.get('/tokens', {
      schema: { summary: 'This node\'s named admin tokens and their scopes (never the tokens: only their hashes are kept)', security: BEARER, response: { 200: { type: 'array', items: tokenSchema }, ...errors(401, 503) } }
    }, async () => tokensOf().list().map((t) => ({ name: t.name, scope: t.scope, createdAt: t.createdAt })))

    api.post<{ Body: { name: string, scope?: 'read' | 'admin' } }>('/tokens', {
      schema: {
        summary: 'Make a named admin token for this node: scope read may only read (GET), scope admin may do everything; the token is shown this once',
        security: BEARER,
        body: {
          type: 'object',
          required: ['name'],
          additionalProperties: false,
          properties: { name: tokenNameParam, scope: { type: 'string', enum: ['read', 'admin'], default: 'read' } }
        },
        response: { 201: { type: 'object', required: ['name', 'scope', 'token', 'createdAt'], properties: { ...tokenSchema.properties, token: { type: 'string' } } }, ...errors(400, 401, 403, 409, 503) }
      }
    }, async (request, reply) => {
      const { entry, token } = await tokensOf().add(request.body.name, request.body.scope ?? 'read')
      return reply.code(201).send({ name: entry.name, scope: entry.scope, token, createdAt: entry.createdAt })
    })

    api.delete<{ Params: { name: string } }>('/tokens/:name', {
      schema: {
        summary: 'Revoke a named admin token: it stops working at once',
        security: BEARER,
        params: { type: 'object', required: ['name'], properties: { name: tokenNameParam } },
        response: { 200: tokenSchema, ...errors(400, 401, 403, 404, 503) }
      }
    }, async (request) => {
      const entry = await tokensOf().remove(request.params.name)
      return { name: entry.name, scope: entry.scope, createdAt: entry.createdAt }
    })
  }
}
