import type { FastifyInstance, FastifyReply } from 'fastify'
import { BEARER, errors, mcpServerNameParam, mcpServerRegistrationSchema, ref } from '../../../protocols/admin/index.ts'
import type { McpServerView } from '../../../protocols/index.ts'
import { UnknownMcpServerError } from '../../plugins/index.ts'
import type { ServerNodeState, ServerStates } from '../../plugins/index.ts'
import { httpError, sendError } from '../admin-errors.ts'
import { CoalescedReads } from '../coalesced-reads.ts'
import { ADMIN_LIST_FRESH_MS } from '../constants.ts'
import { recordBodyAs } from '../request-identity.ts'
import { SerializedBody } from '../serialized-body.ts'

/** What the admin API asks of the cluster's registered MCP servers (node/plugins McpServers). */
export interface McpServersAdmin {
  register (value: unknown, opts?: { readonly replace?: boolean }): Promise<McpServerView>
  list (): Promise<McpServerView[]>
  remove (name: unknown): Promise<boolean>
}

export interface McpServersRoutesDeps {
  /** The registry of servers (absent: 503). */
  readonly servers?: McpServersAdmin | undefined
  /** Each plugins-role member's connection to each server (node/plugins ServerStatus; absent:
   * the servers are listed without their members). */
  readonly status?: { states (): Promise<ServerStates> } | undefined
}

/** A registered server as the routes answer it: the registration less its secrets, and each
 * plugins-role member's side. */
export type McpServerRow = McpServerView & { readonly nodes: readonly ServerNodeState[] }

/** What the audit trail records of a registration's secrets. */
const NOT_RECORDED = '(not recorded)'
/** The fields of a registration recorded as sent; any other is recorded by its name only. */
const SHOWN_ROOT: ReadonlySet<string> = new Set(['name', 'description', 'callDeadlineMs'])
const SHOWN_TRANSPORT: ReadonlySet<string> = new Set(['kind', 'command', 'args', 'network', 'memoryMiB'])
const SHOWN_AUTH: ReadonlySet<string> = new Set(['kind', 'clientId', 'scope', 'issuer'])

const nameParams = { type: 'object', required: ['name'], properties: { name: mcpServerNameParam } } as const
const noServers = (reply: FastifyReply): FastifyReply => sendError(reply, 503, 'UNAVAILABLE', 'this node keeps no registry of MCP servers')

/**
 * `/api/v1/mcp-servers`: the MCP servers an admin registers for the cluster (a command every
 * plugins-role member runs over stdio, or a streamable HTTP URL each connects to), listed with
 * each member's connection, registered, replaced and removed. Nothing of a secret is ever shown
 * back (McpServerView: the variables' names, the auth's kind), and the audit trail records a
 * registration with its secrets left out, a refused one too (registrationForAudit).
 */
export function mcpServersRoutes (deps: McpServersRoutesDeps) {
  return async (api: FastifyInstance): Promise<void> => {
    // before validation, so that a registration refused is recorded without its secrets as well
    api.addHook('preValidation', async (request) => {
      if (request.method === 'POST' || request.method === 'PUT') recordBodyAs(request, registrationForAudit(request.body))
    })
    const rows = async (views: readonly McpServerView[], reply: FastifyReply): Promise<McpServerRow[]> => {
      const states = await deps.status?.states()
      if (states !== undefined && states.unreachable.length > 0) void reply.header('x-plexi-unreachable', states.unreachable.join(','))
      return views.map((v) => ({ ...v, nodes: states?.nodes(v.name) ?? [] }))
    }
    const find = async (servers: McpServersAdmin, name: string): Promise<McpServerView> => {
      const view = (await servers.list()).find((v) => v.name === name)
      if (view === undefined) throw new UnknownMcpServerError(name)
      return view
    }

    const listed = listingRoute(api, deps)

    api.get<{ Params: { name: string } }>('/mcp-servers/:name', {
      schema: { summary: 'One registered MCP server, with every plugins-role member\'s connection to it', security: BEARER, params: nameParams, response: { 200: ref('McpServer'), ...errors(400, 401, 404, 503) } }
    }, async (request, reply) => {
      const servers = deps.servers
      if (servers === undefined) return noServers(reply)
      // the listing's coalesced gather: a burst of reads of one server asks the members once too
      const listing = await listed(servers)
      const row = listing.rows.find((r) => r.name === request.params.name)
      if (row === undefined) throw new UnknownMcpServerError(request.params.name)
      if (listing.unreachable.length > 0) void reply.header('x-plexi-unreachable', listing.unreachable.join(','))
      return row
    })

    api.post<{ Body: Record<string, unknown> }>('/mcp-servers', {
      schema: {
        summary: 'Register an MCP server for the cluster: every plugins-role member connects to it within seconds, and its tools are offered as `<name>__<tool>` to the users granted them. 409 when one has the name (replace it with PUT)',
        security: BEARER,
        body: mcpServerRegistrationSchema(true),
        response: { 201: ref('McpServer'), ...errors(400, 401, 409, 429, 503) }
      }
    }, async (request, reply) => {
      if (deps.servers === undefined) return noServers(reply)
      const view = await deps.servers.register(request.body)
      return reply.code(201).send((await rows([view], reply))[0])
    })

    api.put<{ Params: { name: string }, Body: Record<string, unknown> }>('/mcp-servers/:name', {
      schema: {
        summary: 'Register an MCP server, or replace its registration (every member reconnects to it): 201 when it is new, 200 when it replaced one',
        security: BEARER,
        params: nameParams,
        body: mcpServerRegistrationSchema(false),
        response: { 200: ref('McpServer'), 201: ref('McpServer'), ...errors(400, 401, 429, 503) }
      }
    }, async (request, reply) => {
      if (deps.servers === undefined) return noServers(reply)
      const { name } = request.params
      if (request.body.name !== undefined && request.body.name !== name) throw httpError(400, 'BAD_REQUEST', `body/name is ${JSON.stringify(request.body.name)}, not the path's ${name}: leave it out, or rename by adding the new one and removing this`)
      const existed = (await deps.servers.list()).some((v) => v.name === name)
      const view = await deps.servers.register({ ...request.body, name }, { replace: true })
      return reply.code(existed ? 200 : 201).send((await rows([view], reply))[0])
    })

    api.delete<{ Params: { name: string } }>('/mcp-servers/:name', {
      schema: { summary: 'Remove a registered MCP server: every member disconnects from it (stops its process). Answers what it was', security: BEARER, params: nameParams, response: { 200: ref('McpServer'), ...errors(400, 401, 404, 503) } }
    }, async (request, reply) => {
      if (deps.servers === undefined) return noServers(reply)
      const view = await find(deps.servers, request.params.name)
      if (!await deps.servers.remove(view.name)) throw new UnknownMcpServerError(view.name)
      return { ...view, nodes: [] }
    })
  }
}

/**
 * A registration (as sent: unchecked) as the audit trail records it: its name, description,
 * deadline, transport kind, command, arguments, network, memory, URL (without any credentials in
 * it) and OAuth client id, scope and issuer as they are; the values of its environment, its token
 * and client secret, and any field it should not have, as "(not recorded)".
 */
export function registrationForAudit (body: unknown): unknown {
  const obj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)
  const keep = (o: Record<string, unknown>, shown: ReadonlySet<string>, own: (key: string, value: unknown) => unknown = () => NOT_RECORDED): Record<string, unknown> =>
    Object.fromEntries(Object.entries(o).map(([k, v]) => [k, shown.has(k) ? v : own(k, v)]))
  if (!obj(body)) return body
  return keep(body, SHOWN_ROOT, (key, transport) => {
    if (key !== 'transport' || !obj(transport)) return NOT_RECORDED
    return keep(transport, SHOWN_TRANSPORT, (k, v) => {
      if (k === 'env') return obj(v) ? Object.fromEntries(Object.keys(v).map((name) => [name, NOT_RECORDED])) : NOT_RECORDED
      if (k === 'auth') return obj(v) ? keep(v, SHOWN_AUTH) : NOT_RECORDED
      if (k === 'url') return typeof v === 'string' ? withoutCredentials(v) : NOT_RECORDED
      return NOT_RECORDED
    })
  })
}

/** A URL with any user name and password in it replaced by `***` (such a URL is refused, and
 * recorded so). */
function withoutCredentials (text: string): string {
  try {
    const url = new URL(text)
    if (url.username === '' && url.password === '') return text
    url.username = '***'
    url.password = ''
    return url.href
  } catch {
    return text.includes('@') ? NOT_RECORDED : text
  }
}

/** Every server with each member's connection to it, coalesced (the listing and one server read it). */
type Listed = (servers: McpServersAdmin) => Promise<{ rows: McpServerRow[], unreachable: readonly string[] }>

/** `GET /mcp-servers`: every server, with each plugins-role member's connection to it; answers the
 * coalesced gather it reads. */
function listingRoute (api: FastifyInstance, deps: McpServersRoutesDeps): Listed {
  // a burst of listings asks the registry and every plugins-role member (two asks each) once per
  // round trip (coalesced-reads.ts), and is serialized once per gather: at 3 members each read
  // was 7 asks
  // and one that ended under ADMIN_LIST_FRESH_MS ago answers the reads after it, until a change
  // through this node answers (forgotten before its answer is sent)
  const listings = new CoalescedReads<{ rows: McpServerRow[], unreachable: readonly string[] }>({ freshMs: ADMIN_LIST_FRESH_MS })
  api.addHook('onSend', async (request) => { if (request.method !== 'GET') listings.forget() })
  const last = new SerializedBody()
  const gather = async (servers: McpServersAdmin): Promise<{ rows: McpServerRow[], unreachable: readonly string[] }> => {
    const [views, states] = await Promise.all([servers.list(), deps.status?.states()])
    return { rows: views.map((v) => ({ ...v, nodes: states?.nodes(v.name) ?? [] })), unreachable: states?.unreachable ?? [] }
  }
  const listed: Listed = async (servers) => await listings.read('', async () => await gather(servers))
  api.get('/mcp-servers', {
    schema: { summary: 'The MCP servers registered for the cluster (no secret shown), each with every plugins-role member\'s connection to it; members that did not answer are named in the x-plexi-unreachable header', security: BEARER, response: { 200: { type: 'array', items: ref('McpServer') }, ...errors(401, 503) } }
  }, async (_request, reply) => {
    const servers = deps.servers
    if (servers === undefined) return noServers(reply)
    const listing = await listed(servers)
    if (listing.unreachable.length > 0) void reply.header('x-plexi-unreachable', listing.unreachable.join(','))
    return await reply.type('application/json; charset=utf-8').send(last.json([listing], () => reply.serialize(listing.rows)))
  })
  return listed
}
