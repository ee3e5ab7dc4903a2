import type { FastifyInstance } from 'fastify'

/** Whether the node serves: starting (not yet), ready, or draining (no longer). */
export type Readiness = 'starting' | 'ready' | 'draining'

export interface HealthRoutesDeps {
  readonly readiness: () => Readiness
}

const statusSchema = { type: 'object', properties: { status: { type: 'string' } } } as const

/** `/livez` and `/readyz`: the probes of a load balancer or kubelet, open (no token) and never rate
 * limited (admin-fastify.ts). */
export function healthRoutes (deps: HealthRoutesDeps) {
  return async (app: FastifyInstance): Promise<void> => {
    app.get('/livez', {
      schema: { summary: 'The process is alive (its event loop turns)', response: { 200: statusSchema } }
    }, async () => ({ status: 'ok' }))

    app.get('/readyz', {
      schema: {
        summary: 'Ready to serve: 503 while starting or shutting down',
        response: { 200: statusSchema, 503: statusSchema }
      }
    }, async (_request, reply) => {
      const state = deps.readiness()
      return reply.code(state === 'ready' ? 200 : 503).send({ status: state })
    })
  }
}
