import type { FastifyBaseLogger, FastifyInstance } from 'fastify'
import type { TrustedProxies } from '../limits/index.ts'
import type { NodeMetrics } from '../metrics/index.ts'
import { adminApi } from './admin-api.ts'
import type { AdminApiDeps } from './admin-api.ts'
import { adminFastify } from './admin-fastify.ts'
import { DashboardAssets } from './dashboard-assets.ts'
import { EventStreams } from './event-streams.ts'
import { openApiDocs } from './openapi-docs.ts'
import { dashboardRoutes } from './routes/dashboard-routes.ts'
import { healthRoutes } from './routes/health-routes.ts'
import type { Readiness } from './routes/health-routes.ts'
import { metricsRoutes } from './routes/metrics-routes.ts'

export type { Readiness } from './routes/health-routes.ts'

export interface AdminServerDeps extends AdminApiDeps {
  readonly metrics: NodeMetrics
  /** When set, /metrics needs it as a bearer token. */
  readonly metricsToken?: string | undefined
  readonly readiness: () => Readiness
  /** pino (the node's), or false for none (tests). */
  readonly logger?: FastifyBaseLogger | false
  /** A PEM certificate chain and its key: the endpoint then speaks HTTPS only (absent: plain HTTP). */
  readonly https?: { readonly cert: Buffer, readonly key: Buffer }
  /** Reverse proxies whose X-Forwarded-For is believed (config `trusted-proxies`): a request
   * through one is from the client it names (`request.ip`: the limits, the audit trail). */
  readonly proxies?: TrustedProxies
}

/**
 * The admin HTTP endpoint, built but not listening (node/ listens; tests use inject()).
 * `/livez`, `/readyz`, `/metrics`, the dashboard at `/`, `/api/v1/*` behind the admin bearer token
 * (admin-api.ts: one plugin per resource, under node/admin/routes), OpenAPI at `/docs/json` and its
 * UI at `/docs` (built when first asked: openapi-docs.ts).
 */
export async function buildAdminServer (deps: AdminServerDeps): Promise<FastifyInstance> {
  const app = adminFastify({ logger: deps.logger, https: deps.https, proxies: deps.proxies, clients: deps.clients })
  // Swagger and its UI load with the first request under /docs (an idle node keeps none of them)
  openApiDocs(app)
  await app.register(healthRoutes({ readiness: deps.readiness }))
  await app.register(metricsRoutes({ metrics: deps.metrics, metricsToken: deps.metricsToken, clients: deps.clients }))
  await app.register(dashboardRoutes(new DashboardAssets()))
  const streams = new EventStreams({ ...(deps.clients !== undefined && { clients: deps.clients }) })
  // an open stream would hold the server's close until the browser goes
  app.addHook('preClose', async () => { streams.closeAll() })
  await app.register(adminApi(deps, streams), { prefix: '/api/v1' })
  return app
}
