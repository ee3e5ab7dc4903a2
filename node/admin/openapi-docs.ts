import type { FastifyInstance, FastifyReply, FastifyRequest, FastifySchema, RouteOptions } from 'fastify'
import { describe } from '../../protocols/index.ts'
import { DocsUnavailableError } from './errors.ts'

/** Where the OpenAPI document (`/docs/json`, `/docs/yaml`) and its UI (`/docs`) are served. */
const DOCS_PREFIX = '/docs'

/** Headers of the docs app's answer that the endpoint's own reply sets itself. */
const OWN_HEADERS = new Set(['content-length', 'connection', 'transfer-encoding', 'date', 'keep-alive'])

/**
 * The API's description, built when first asked: `@fastify/swagger` and `@fastify/swagger-ui` (with
 * `yaml`, about 400 KB of module source a node otherwise keeps all its life) are loaded then. Until
 * then the endpoint only notes its routes and shared schemas as they are added (what the swagger
 * plugin itself notes); the first request under /docs builds an app of its own with the same
 * routes (their schemas, no handlers) and the two plugins, and every request under /docs is
 * answered by it. Call before any route is added. A failed load answers 503 (DocsUnavailableError)
 * and is tried again with the next request.
 */
export function openApiDocs (app: FastifyInstance): void {
  const routes: RouteOptions[] = []
  const scopes: FastifyInstance[] = []
  const schemas = new Map<string, unknown>()
  app.addHook('onRoute', (route) => {
    // HEAD routes as the swagger plugin leaves them out; its own routes are the docs app's
    if (route.method !== 'HEAD' && !route.url.startsWith(DOCS_PREFIX)) routes.push(route)
  })
  app.addHook('onRegister', (scope) => { scopes.push(scope) })
  app.addHook('onReady', (done) => {
    for (const scope of [...scopes.splice(0), app]) for (const [id, schema] of Object.entries(scope.getSchemas())) schemas.set(id, schema)
    done()
  })
  let docs: Promise<FastifyInstance> | undefined
  const answer = async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
    docs ??= docsApp(routes, [...schemas.values()])
    const built = await docs.catch((err: unknown) => {
      docs = undefined
      throw new DocsUnavailableError(`the API description could not be built: ${describe(err)}`)
    })
    const res = await built.inject({ method: request.method as 'GET', url: request.url, headers: request.headers })
    // no such page: the endpoint's own 404
    if (res.statusCode === 404) { reply.callNotFound(); return reply }
    void reply.code(res.statusCode)
    for (const [name, value] of Object.entries(res.headers)) if (value !== undefined && !OWN_HEADERS.has(name)) void reply.header(name, value)
    return await reply.send(res.rawPayload.length > 0 ? res.rawPayload : undefined)
  }
  for (const url of [DOCS_PREFIX, `${DOCS_PREFIX}/*`]) app.route({ method: 'GET', url, schema: { hide: true } as FastifySchema, handler: answer })
}

/** An app of its own that answers /docs as the swagger plugins do, for these routes and schemas. */
async function docsApp (routes: readonly RouteOptions[], schemas: readonly unknown[]): Promise<FastifyInstance> {
  const [{ default: Fastify }, { default: swagger }, { default: swaggerUi }] = await Promise.all([import('fastify'), import('@fastify/swagger'), import('@fastify/swagger-ui')])
  const docs = Fastify({ logger: false })
  // the routes are only described here: nothing is validated or serialized
  docs.setValidatorCompiler(() => () => true)
  docs.setSerializerCompiler(() => (data) => JSON.stringify(data))
  for (const schema of schemas) docs.addSchema(schema)
  await docs.register(swagger, {
    openapi: {
      info: { title: 'Plexi admin API', version: '1', description: 'Cluster, actors, users and rooms of a Plexi node. /api/v1 needs the header `Authorization: Bearer <admin token>` (the token: `<data-dir>/admin-token`, or `plexi admin tokens add`).' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } }
    },
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => String(json.$id ?? `def-${i}`) }
  })
  await docs.register(swaggerUi, { routePrefix: DOCS_PREFIX })
  const none = async (): Promise<void> => undefined
  for (const r of routes) docs.route({ method: r.method, url: r.url, exposeHeadRoute: false, handler: none, ...(r.schema !== undefined && { schema: r.schema }), ...(r.config !== undefined && { config: r.config }) })
  await docs.ready()
  return docs
}
