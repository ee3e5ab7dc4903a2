import { servedServices } from '../grpc/index.ts'
import type { HostPort } from '../../config/index.ts'
import { MemberOrigins, buildWebServer, webMetrics, webOrigin } from '../web/index.ts'
import type { PartComponents } from './components.ts'
import { listen } from './endpoint-parts.ts'
import type { NodeComponents } from './node-components.ts'
import type { PartSpec } from './part-list.ts'

type C = PartComponents<NodeComponents>

/** The user listener (web-listen, unless off): gRPC-Web over the gRPC server's own services, so a
 * browser's call is the same call (authentication, validation, limits, statuses), and the page at
 * `/`. TLS with the node's certificate when TLS is on. Its origin (web-advertise, or the address it
 * listens on) goes in this node's member record: the other members' pages move here when their
 * node stops answering, and every member takes calls from the pages of the others (MemberOrigins). */
export const webPart: PartSpec<NodeComponents> = {
  id: 'web',
  needs: ['config', 'log', 'preflight', 'reach', 'cluster', 'clientServices', 'clients', 'proxies', 'metrics', 'tracing'],
  gives: ['web'],
  runs: (c: C) => c.get('config').webListen !== undefined,
  start: async (c: C) => {
    const config = c.get('config')
    const tls = c.get('preflight').tls
    const log = c.get('log').child({ component: 'web' })
    const { services, retryTypes } = c.get('clientServices')
    const reach = c.get('reach')
    const cluster = c.get('cluster')
    const app = await buildWebServer({
      services: servedServices(services, { spans: c.get('tracing').spans, log }),
      retryTypes,
      logger: log,
      corsOrigins: config.webCorsOrigin,
      memberOrigins: new MemberOrigins(() => cluster.members(), () => reach.web),
      clients: c.get('clients'),
      proxies: c.get('proxies'),
      metrics: webMetrics(c.get('metrics').registry),
      ...(tls !== undefined && { https: { cert: tls.cert, key: tls.key } })
    })
    try {
      const address = await listen(app, config.webListen as HostPort, tls === undefined ? 'the user listener (HTTP)' : 'the user listener (HTTPS)')
      const origin = webOrigin(address, tls !== undefined, config.webAdvertise)
      if (origin !== undefined) reach.web = origin
      c.provide('web', { address, ...(origin !== undefined && { origin }) }, 'web')
    } catch (err) {
      await app.close()
      throw err
    }
    return { stop: async () => { await app.close() } }
  }
}
