import type { FastifyInstance, FastifyReply } from 'fastify'
import { UnknownUserError } from '../../../actors/index.ts'
import type { ToolPolicyView } from '../../../actors/index.ts'
import { BEARER, errors, userNameParam, userToolsChangeSchema, userToolsSchema } from '../../../protocols/admin/index.ts'
import type { ToolPolicy, UserAccounts } from '../../users/index.ts'
import { httpError, sendError } from '../admin-errors.ts'
import { CoalescedReads } from '../coalesced-reads.ts'

export interface UserToolsRoutesDeps {
  /** The users' tool policies (absent: the routes answer 503). */
  readonly toolPolicy?: Pick<ToolPolicy, 'view' | 'grant' | 'revoke'> | undefined
  /** Who exists: tools are granted to users only. */
  readonly users: Pick<UserAccounts, 'get'>
}

/**
 * `/api/v1/users/{name}/tools`: which tools a user's agent may use. An admin grants tools by
 * qualified name or a source's `*`, and revokes them; the user turns granted tools on and off
 * for their own agent (the Agent service's Tools call), which this shows. Audited as every admin
 * action is (the body says what was granted and revoked).
 */
export function userToolsRoutes (deps: UserToolsRoutesDeps) {
  return async (api: FastifyInstance): Promise<void> => {
    const unavailable = (reply: FastifyReply): FastifyReply => sendError(reply, 503, 'UNAVAILABLE', 'this node keeps no tool policies: tools are not set up for agents here')
    const params = { type: 'object', required: ['name'], properties: { name: userNameParam } } as const
    // a burst of reads of one user's tools asks the policy once per round trip, each answer asked
    // after its read arrived (coalesced-reads.ts): a grant answered and then read is in it
    const views = new CoalescedReads<ToolPolicyView>()

    api.get<{ Params: { name: string } }>('/users/:name/tools', {
      schema: { summary: 'The tools a user\'s agent may use: granted by an admin, switched by the user', security: BEARER, params, response: { 200: userToolsSchema, ...errors(400, 401, 503) } }
    }, async (request, reply) => {
      const policy = deps.toolPolicy
      const { name } = request.params
      return policy === undefined ? unavailable(reply) : shown(name, await views.read(name, async () => await policy.view(name)))
    })

    api.post<{ Params: { name: string }, Body: { grant?: string[], revoke?: string[] } }>('/users/:name/tools', {
      schema: {
        summary: 'Grant tools to a user\'s agent, or revoke them',
        description: 'Names are qualified tool names (`clock__now`) or a source\'s `*` (`clock__*`, every tool of the source, today\'s and those it adds later). Revokes apply before grants; a name in both is refused. Granting what is granted, or revoking what is not, changes nothing (a retry is safe). Revoking one tool that is granted through its source\'s `*` answers 409: revoke the `*` and grant the tools that stay. A granted tool is on until its user turns it off.',
        security: BEARER,
        params,
        body: userToolsChangeSchema,
        response: { 200: userToolsSchema, ...errors(400, 401, 404, 409, 503) }
      }
    }, async (request, reply) => {
      const policy = deps.toolPolicy
      if (policy === undefined) return unavailable(reply)
      const { name } = request.params
      const { grant = [], revoke = [] } = request.body
      const both = grant.find((t) => revoke.includes(t))
      if (both !== undefined) throw httpError(400, 'BAD_REQUEST', `${both} is both granted and revoked: name it once`)
      if (grant.length > 0 && await deps.users.get(name) === null) throw new UnknownUserError(name)
      let view = revoke.length > 0 ? await policy.revoke(name, revoke) : undefined
      if (grant.length > 0) view = await policy.grant(name, grant)
      return shown(name, view ?? await policy.view(name))
    })
  }
}

function shown (user: string, view: ToolPolicyView): ToolPolicyView & { user: string } {
  return { user, granted: view.granted, enabled: view.enabled, disabled: view.disabled }
}
