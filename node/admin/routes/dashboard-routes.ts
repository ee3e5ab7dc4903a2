import type { FastifyInstance, FastifyReply } from 'fastify'
import { notFound } from '../admin-errors.ts'
import { sendAsset } from '../dashboard-assets.ts'
import type { DashboardAsset, DashboardAssets } from '../dashboard-assets.ts'

/**
 * The web dashboard: its page at `/` and its files at `/ui/*`, served without the admin token
 * (they hold no data; every view asks `/api/v1` with the token the admin signs in with). Each
 * answer carries the strict Content-Security-Policy, and is never sniffed, framed or cached stale.
 */
export function dashboardRoutes (assets: DashboardAssets) {
  return async (app: FastifyInstance): Promise<void> => {
    const send = async (reply: FastifyReply, asset: DashboardAsset): Promise<FastifyReply> => await sendAsset(reply, assets, asset)

    app.get('/', { schema: { summary: 'The admin web dashboard (sign in with the admin token)', hide: true } }, async (_request, reply) => await send(reply, await assets.index()))

    app.get<{ Params: { '*': string } }>('/ui/*', { schema: { summary: 'The dashboard\'s scripts, styles and images', hide: true } }, async (request, reply) => {
      const asset = await assets.ui(request.params['*'])
      if (asset === undefined) return notFound(request, reply)
      return await send(reply, asset)
    })
  }
}
