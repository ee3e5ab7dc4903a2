import type { FastifyInstance } from 'fastify'
import { adminFastify } from '../../node/admin/admin-fastify.ts'
import { decorateRequestIdentity } from '../../node/admin/request-identity.ts'

/**
 * One admin resource served alone, as the endpoint serves it: the endpoint's Fastify (its limits,
 * its one error shape, its validation: admin-fastify.ts) with the resource's plugin under
 * `/api/v1` (with that scope's request decorations) or at the root, handed only the dependencies
 * the test gives it. No token is asked: that is bearer-auth.ts's part, tested there.
 */
export async function pluginApp (plugin: (app: FastifyInstance) => Promise<void>, at: 'api' | 'root' = 'api'): Promise<FastifyInstance> {
  const app = adminFastify({ logger: false })
  if (at === 'root') {
    await app.register(plugin)
  } else {
    await app.register(async (api) => {
      decorateRequestIdentity(api)
      await api.register(plugin)
    }, { prefix: '/api/v1' })
  }
  await app.ready()
  return app
}
