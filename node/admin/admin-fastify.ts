import Fastify, { LogController } from 'fastify'
import type { FastifyBaseLogger, FastifyInstance } from 'fastify'
import { Ajv } from 'ajv'
import { ADMIN_SCHEMAS } from '../../protocols/admin/index.ts'
import { LAZY_SCHEMA_CONTROLLER, clientAddress, depthLimited, lazyValidator, trusting } from '../limits/index.ts'
import type { ClientLimits, TrustedProxies } from '../limits/index.ts'
import { clientError, errorReply, notFound, parseJsonBody } from './admin-errors.ts'
import { ADMIN_BODY_LIMIT, ADMIN_MAX_PARAM_LENGTH } from './constants.ts'

export interface AdminFastifyOptions {
  /** pino (the node's), or false for none (tests). */
  readonly logger?: FastifyBaseLogger | false | undefined
  /** A PEM certificate chain and its key: the endpoint then speaks HTTPS only (absent: plain HTTP). */
  readonly https?: { readonly cert: Buffer, readonly key: Buffer } | undefined
  /** Reverse proxies whose X-Forwarded-For is believed (config `trusted-proxies`): a request
   * through one is from the client it names (`request.ip`: the limits, the audit trail). */
  readonly proxies?: TrustedProxies | undefined
  /** The node's limits per client address, shared with its other endpoints (absent: none). */
  readonly clients?: Pick<ClientLimits, 'request'> | undefined
}

/**
 * The admin endpoint's Fastify instance before any route: its limits (body size, path parameter
 * length, JSON depth, requests per client address), its one error shape for every refusal
 * (admin-errors.ts), and its validation. Bodies are validated strictly: unknown fields and wrong
 * types are 400 with a message naming the field; nothing is coerced. Query strings and path params
 * arrive as strings, so those may be coerced. Every shared schema is added (ADMIN_SCHEMAS).
 */
export function adminFastify (opts: AdminFastifyOptions): FastifyInstance {
  const app = Fastify({
    ...(opts.logger === undefined || opts.logger === false ? { logger: false } : { loggerInstance: opts.logger }),
    // one line per scrape or probe would drown the log; failures are logged by the error handler
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: ADMIN_BODY_LIMIT,
    // (response serializers compiled as each route first answers: a node starts a second sooner)
    schemaController: LAZY_SCHEMA_CONTROLLER,
    routerOptions: { maxParamLength: ADMIN_MAX_PARAM_LENGTH },
    // Fastify's errors raised before routing (a bad URL, a path parameter too long): same handler
    frameworkErrors: errorReply,
    clientErrorHandler: clientError,
    ...(opts.https !== undefined && { https: { cert: opts.https.cert, key: opts.https.key } }),
    ...(opts.proxies !== undefined && opts.proxies.size > 0 && { trustProxy: trusting(opts.proxies) })
  })
  // JSON bodies only (anything else is 415), and an empty one is no body; one nested too deep is
  // refused unparsed (400 BODY_TOO_DEEP), before any hook or handler holds it
  app.removeAllContentTypeParsers()
  const parseJson = depthLimited(parseJsonBody)
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => { parseJson(request, body as string, done) })
  app.setNotFoundHandler(notFound)
  const strict = new Ajv({ removeAdditional: false, coerceTypes: false, useDefaults: true, allErrors: false })
  const lenient = new Ajv({ removeAdditional: false, coerceTypes: true, useDefaults: true, allErrors: false })
  for (const schema of ADMIN_SCHEMAS) {
    app.addSchema(schema)
    strict.addSchema(schema)
    lenient.addSchema(schema)
  }
  app.setValidatorCompiler(({ schema, httpPart }) => lazyValidator(() => (httpPart === 'body' ? strict : lenient).compile(schema)))
  app.setErrorHandler(errorReply)
  const clients = opts.clients
  if (clients !== undefined) {
    // every request counts against its address's rate but the probes: a load balancer or kubelet
    // checking often must not make the node look down
    // (a callback, not an async function: no promise for each request)
    app.addHook('onRequest', (request, _reply, done) => {
      const query = request.url.indexOf('?')
      const path = query < 0 ? request.url : request.url.slice(0, query)
      if (path === '/livez' || path === '/readyz') {
        done()
        return
      }
      try {
        clients.request(path === '/metrics' ? 'metrics' : 'admin', clientAddress(request.ip))
      } catch (err) {
        done(err as Error)
        return
      }
      done()
    })
  }
  return app
}
