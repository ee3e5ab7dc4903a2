import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify'
import { BEARER, PLUGIN_PACKAGE_TYPES, errors, pluginNameParam, pluginVersionField, ref } from '../../../protocols/admin/index.ts'
import { MAX_PACKAGE_BYTES } from '../../../protocols/plugins/index.ts'
import { errorReply, sendError } from '../admin-errors.ts'
import { CoalescedReads } from '../coalesced-reads.ts'
import { ADMIN_LIST_FRESH_MS } from '../constants.ts'
import { noteForAudit, principalOf } from '../request-identity.ts'

/** What the admin API asks of the plugin registry (node/plugin-registry PluginRegistry). */
export interface PluginsAdmin {
  install (bytes: Uint8Array, by: string): Promise<{ plugin: unknown, version: string, digest: string, installed: boolean }>
  list (): Promise<{ plugins: unknown[], unreachable: string[] }>
  get (name: string): Promise<{ plugin: unknown, unreachable: string[] }>
  enable (name: string): Promise<unknown>
  disable (name: string): Promise<unknown>
  upgrade (name: string, version: string): Promise<unknown>
  rollback (name: string): Promise<unknown>
  remove (name: string): Promise<unknown>
  logs (name: string, limit: number, node?: string): Promise<{ logs: unknown[], unreachable: string[] }>
}

export interface PluginsRoutesDeps {
  /** The cluster's plugins (absent: 503). */
  readonly plugins?: PluginsAdmin | undefined
}

/** Log lines a request may ask of each member (what a member keeps of a plugin). */
const MAX_LOG_LIMIT = 500
const nameParams = { type: 'object', required: ['name'], properties: { name: pluginNameParam } } as const
const noPlugins = (reply: FastifyReply): FastifyReply => sendError(reply, 503, 'UNAVAILABLE', 'this node has no plugin registry')
const unreachableHeader = (reply: FastifyReply, unreachable: readonly string[]): void => {
  if (unreachable.length > 0) void reply.header('x-plexi-unreachable', unreachable.join(','))
}

/**
 * `/api/v1/plugins`: install a package (its bytes as the body: the only admin route that takes more
 * than a few fields, so its body limit is raised here alone, to MAX_PACKAGE_BYTES), list the
 * cluster's plugins with each member's side, enable, disable, upgrade, roll back, remove, and read
 * a plugin's stderr lines from each member. Every change is audited as any admin action is (the
 * install with the plugin, version and digest it stored, and the size of the body, never its bytes).
 */
export function pluginsRoutes (deps: PluginsRoutesDeps) {
  return async (api: FastifyInstance): Promise<void> => {
    // in this plugin's scope only: the other routes still take JSON alone, within their own limit
    api.addContentTypeParser([...PLUGIN_PACKAGE_TYPES], { parseAs: 'buffer', bodyLimit: MAX_PACKAGE_BYTES }, (_request, body, done) => { done(null, body) })
    // the endpoint's own words for a body too large or of another type name JSON and 64 KiB: not
    // what the install takes
    api.setErrorHandler((err: FastifyError, request, reply) => {
      if (request.method === 'POST' && request.routeOptions.url === '/api/v1/plugins') {
        if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return sendError(reply, 413, 'BODY_TOO_LARGE', `a plugin package is at most ${MAX_PACKAGE_BYTES} bytes`)
        if (err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return sendError(reply, 415, 'UNSUPPORTED_MEDIA_TYPE', 'send the package\'s bytes as content-type: application/gzip')
      }
      return errorReply(err, request, reply)
    })
    // a burst of listings asks every plugins member once per round trip (coalesced-reads.ts), and
    // one that ended under ADMIN_LIST_FRESH_MS ago answers the reads after it, until a change
    // through this node answers (forgotten before its answer is sent)
    // (one plugin and its logs likewise, by name: each asks every plugins member too)
    const reads: Reads = {
      listings: new CoalescedReads({ freshMs: ADMIN_LIST_FRESH_MS }),
      items: new CoalescedReads({ freshMs: ADMIN_LIST_FRESH_MS }),
      logs: new CoalescedReads({ freshMs: ADMIN_LIST_FRESH_MS })
    }
    api.addHook('onSend', async (request) => {
      if (request.method !== 'GET') for (const r of Object.values(reads)) r.forget()
    })
    readRoutes(api, deps, reads)
    changeRoutes(api, deps)
  }
}

/** The reads that ask every plugins member, coalesced. */
interface Reads {
  readonly listings: CoalescedReads<Awaited<ReturnType<PluginsAdmin['list']>>>
  readonly items: CoalescedReads<Awaited<ReturnType<PluginsAdmin['get']>>>
  readonly logs: CoalescedReads<Awaited<ReturnType<PluginsAdmin['logs']>>>
}

/** The listing, one plugin, and its logs. */
function readRoutes (api: FastifyInstance, deps: PluginsRoutesDeps, reads: Reads): void {
  api.get('/plugins', {
    schema: { summary: 'The cluster\'s plugins: versions, the active one, and what each plugins-role member runs (calls, errors, latency, restarts, memory); members that did not answer are named in the x-plexi-unreachable header', security: BEARER, response: { 200: { type: 'array', items: ref('Plugin') }, ...errors(401, 503) } }
  }, async (_request, reply) => {
    const admin = deps.plugins
    if (admin === undefined) return noPlugins(reply)
    const { plugins, unreachable } = await reads.listings.read('', async () => await admin.list())
    unreachableHeader(reply, unreachable)
    return plugins
  })

  api.get<{ Params: { name: string } }>('/plugins/:name', {
    schema: { summary: 'One plugin, with what each plugins-role member runs of it', security: BEARER, params: nameParams, response: { 200: ref('Plugin'), ...errors(400, 401, 404, 503) } }
  }, async (request, reply) => {
    const admin = deps.plugins
    if (admin === undefined) return noPlugins(reply)
    const { name } = request.params
    const { plugin, unreachable } = await reads.items.read(name, async () => await admin.get(name))
    unreachableHeader(reply, unreachable)
    return plugin
  })

  api.get<{ Params: { name: string }, Querystring: { limit?: number, node?: string } }>('/plugins/:name/logs', {
    schema: {
      summary: 'The last lines a plugin wrote on its stderr on each plugins-role member (or on `node`), oldest first; members that did not answer are named in the x-plexi-unreachable header',
      security: BEARER,
      params: nameParams,
      querystring: { type: 'object', additionalProperties: false, properties: { limit: { type: 'integer', minimum: 1, maximum: MAX_LOG_LIMIT, default: 100 }, node: { type: 'string', minLength: 1, maxLength: 128 } } },
      response: { 200: ref('PluginLogs'), ...errors(400, 401, 404, 503) }
    }
  }, async (request, reply) => {
    const admin = deps.plugins
    if (admin === undefined) return noPlugins(reply)
    const { name } = request.params
    const { limit = 100, node } = request.query
    const { logs, unreachable } = await reads.logs.read(`${name} ${limit} ${node ?? ''}`, async () => await admin.logs(name, limit, node))
    unreachableHeader(reply, unreachable)
    return { logs }
  })
}

/** Install, remove, enable, disable, roll back, upgrade. */
function changeRoutes (api: FastifyInstance, deps: PluginsRoutesDeps): void {
  api.post<{ Body: Buffer }>('/plugins', {
    bodyLimit: MAX_PACKAGE_BYTES,
    schema: {
      summary: `Install a plugin package: the body is its .tgz (Content-Type application/gzip or application/octet-stream, at most ${MAX_PACKAGE_BYTES} bytes). It is checked whole (no path out of it, no link, no device, no entry too large, a plexi-plugin.json whose plexi range includes this Plexi's plugin API), stored in the replicated registry, and run by every plugins-role member; a new version of an installed plugin is stored and waits for an upgrade. 201 when installed, 200 when that package was installed already`,
      security: BEARER,
      consumes: [...PLUGIN_PACKAGE_TYPES],
      response: {
        200: { $ref: 'PluginInstall#' },
        201: { $ref: 'PluginInstall#' },
        ...errors(400, 401, 409, 413, 415, 503)
      }
    }
  }, async (request, reply) => {
    if (deps.plugins === undefined) return noPlugins(reply)
    const body = request.body
    if (!(body instanceof Uint8Array) || body.byteLength === 0) return sendError(reply, 400, 'BAD_REQUEST', 'the body is the package\'s bytes (a .tgz), and it is empty')
    const done = await deps.plugins.install(body, principalOf(request)?.actor ?? 'admin')
    const name = (done.plugin as { name: string }).name
    noteForAudit(request, `${done.installed ? 'installed' : 'already installed'} ${name} ${done.version} (sha256 ${done.digest})`)
    return reply.code(done.installed ? 201 : 200).send(done)
  })

  api.delete<{ Params: { name: string } }>('/plugins/:name', {
    schema: { summary: 'Remove a plugin and every version of it: every member stops it and removes its folder. Answers what it was', security: BEARER, params: nameParams, response: { 200: ref('Plugin'), ...errors(400, 401, 404, 503) } }
  }, async (request, reply) => deps.plugins === undefined ? noPlugins(reply) : await deps.plugins.remove(request.params.name))

  for (const verb of ['enable', 'disable', 'rollback'] as const) {
    const summary = {
      enable: 'Enable a plugin: every plugins-role member starts its active version',
      disable: 'Disable a plugin: every member stops it (its versions stay installed)',
      rollback: 'Roll back to the version active before the last upgrade or rollback, as an upgrade does: it starts beside the active one, which is stopped once it is up (409 when there is none)'
    }[verb]
    api.post<{ Params: { name: string } }>(`/plugins/:name/${verb}`, {
      schema: { summary, security: BEARER, params: nameParams, response: { 200: ref('Plugin'), ...errors(400, 401, 404, 409, 503) } }
    }, async (request, reply) => deps.plugins === undefined ? noPlugins(reply) : await deps.plugins[verb](request.params.name))
  }

  api.post<{ Params: { name: string }, Body: { version: string } }>('/plugins/:name/upgrade', {
    schema: {
      summary: 'Make an installed version the active one (install it first: POST /plugins): on every member it starts beside the running one, calls go to it once it is up, and the old one drains and stops; no call fails',
      security: BEARER,
      params: nameParams,
      body: { type: 'object', required: ['version'], additionalProperties: false, properties: { version: pluginVersionField } },
      response: { 200: ref('Plugin'), ...errors(400, 401, 404, 503) }
    }
  }, async (request, reply) => deps.plugins === undefined ? noPlugins(reply) : await deps.plugins.upgrade(request.params.name, request.body.version))
}
