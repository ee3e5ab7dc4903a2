import type { FastifyInstance, FastifyReply } from 'fastify'
import { notFound } from '../admin-errors.ts'
import type { DashboardAsset, DashboardAssets } from '../dashboard-assets.ts'

/**
 * The web dashboard: its page at `/` and its files at `/ui/*`, served without the admin token
 * (they hold no data; every view asks `/api/v1` with the token the admin signs in with). Each
 * answer carries the strict Content-Security-Policy, and is never sniffed, framed or cached stale.
 */
export function dashboardRoutes (assets: DashboardAssets) {
  return async (app: FastifyInstance): Promise<void> => {
    const send = async (reply: FastifyReply, asset: DashboardAsset): Promise<FastifyReply> => {
      void reply
        .type(asset.contentType)
        .header('content-security-policy', await assets.csp())
        .header('x-content-type-options', 'nosniff')
        .header('x-frame-options', 'DENY')
        .header('referrer-policy', 'no-referrer')
        .header('cross-origin-opener-policy', 'same-origin')
        .header('cross-origin-resource-policy', 'same-origin')
        // the files change with the node's version: always revalidated, never served stale
        .header('cache-control', 'no-cache')
      return await reply.send(asset.body)
    }

    app.get('/', { schema: { summary: 'The admin web dashboard (sign in with the admin token)', hide: true } }, async (_request, reply) => await send(reply, await assets.index()))

    app.get<{ Params: { '*': string } }>('/ui/*', { schema: { summary: 'The dashboard\'s scripts, styles and images', hide: true } }, async (request, reply) => {
      const asset = await assets.ui(request.params['*'])
      if (asset === undefined) return notFound(request, reply)
      return await send(reply, asset)
    })
  }
}
