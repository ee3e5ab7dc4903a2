import type { FastifyInstance } from 'fastify'
import { BEARER, clientId, errors, ref, userNameParam, usersQuery } from '../../../protocols/admin/index.ts'
import type { UserAccounts } from '../../users/index.ts'
import { linkNext } from '../list-page.ts'
import { SerializedBody } from '../serialized-body.ts'

export interface UsersRoutesDeps {
  readonly users: Pick<UserAccounts, 'page' | 'add' | 'remove'>
}

/** `/api/v1/users`: the chat users, each added with a token shown once, and removed with it revoked. */
export function usersRoutes (deps: UsersRoutesDeps) {
  return async (api: FastifyInstance): Promise<void> => {
    const last = new SerializedBody()
    api.get<{ Querystring: { limit?: number, after?: string } }>('/users', {
      schema: {
        summary: 'Users by name: every one, or a page of them with `limit` (the next page: `after` the last name of the page; a page with more after it names the next in its `Link` header)',
        description: 'Answered from this node\'s copy of the user directory: a user added or removed through this node is listed so as soon as that request answered; through another node, within a second.',
        security: BEARER,
        querystring: usersQuery,
        response: { 200: { type: 'array', items: ref('User') }, ...errors(400, 401) }
      }
    }, async (request, reply) => {
      const { limit, after } = request.query
      const page = await deps.users.page({ after, limit })
      const { users, more } = page
      if (limit !== undefined) linkNext(reply, '/api/v1/users', {}, limit, { more, lastKey: users.at(-1)?.name })
      // the node's copy answers the same page object while it has not changed: serialized once
      return await reply.type('application/json; charset=utf-8').send(last.json([page], () => reply.serialize(users)))
    })

    api.post<{ Body: { name: string, clientId?: string } }>('/users', {
      schema: {
        summary: 'Create a user; the reply carries their token, shown this once',
        description: 'With a `clientId`, a retry is safe when an answer was lost (a timeout, a dropped connection): a try with the client id that stored the user answers 201 again with a new token, and the token the lost answer carried stops working. Without one, a second add of the name answers 409.',
        security: BEARER,
        body: { type: 'object', required: ['name'], additionalProperties: false, properties: { name: userNameParam, clientId } },
        response: { 201: ref('NewUser'), ...errors(400, 401, 409) }
      }
    }, async (request, reply) => reply.code(201).send(await deps.users.add(request.body.name, request.body.clientId)))

    api.delete<{ Params: { name: string } }>('/users/:name', {
      schema: {
        summary: 'Remove a user and revoke their token', security: BEARER,
        params: { type: 'object', required: ['name'], properties: { name: userNameParam } },
        response: { 200: ref('User'), ...errors(400, 401, 404) }
      }
    }, async (request) => await deps.users.remove(request.params.name))
  }
}
