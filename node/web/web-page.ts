import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { FastifyInstance, FastifyReply } from 'fastify'
import { DashboardAssets, sendAsset } from '../admin/index.ts'
import type { DashboardAsset } from '../admin/index.ts'

/** The chat page's own files (plain browser modules, no build step), beside the vendored preact and
 * htm the dashboard serves too (DashboardAssets' vendor/). */
export const PAGE_DIR = join(dirname(fileURLToPath(import.meta.url)), 'ui')

/**
 * `GET /` (the chat page) and `GET /ui/*` (its modules, styles and the vendored libraries), read once
 * and kept, under the dashboard's strict Content-Security-Policy: scripts and styles from this origin
 * only, the one inline script (the import map) by its hash, calls to this origin only, nothing
 * framed, sniffed or posted elsewhere. The files hold no data: every call carries the user's token.
 * `connect` gives the other origins the page may call: the cluster's members up (node/web
 * MemberOrigins), where it moves when this node stops answering; the page is given the same list
 * in `<meta name="plexi-connect">` and calls no other. A member heard of after the page loaded is
 * not among them (docs/api.md "Failover").
 */
export function pageRoutes (assets = new DashboardAssets(PAGE_DIR), connect: () => readonly string[] = () => []): (app: FastifyInstance) => Promise<void> {
  return async (app) => {
    const send = async (reply: FastifyReply, asset: DashboardAsset): Promise<FastifyReply> => await sendAsset(reply, assets, asset, connect())
    app.get('/', async (_request, reply) => {
      // the page is told the origins its policy lets it call (the same list, read once), so that it
      // never tries a member heard of later, which the browser would refuse
      const origins = connect()
      return await sendAsset(reply, assets, withConnectMeta(await assets.index(), origins), origins)
    })
    app.get<{ Params: { '*': string } }>('/ui/*', async (request, reply) => {
      const asset = await assets.ui(request.params['*'])
      if (asset === undefined) return await reply.code(404).type('text/plain; charset=utf-8').send(`not found: GET /ui/${request.params['*'].slice(0, 200)}\n`)
      return await send(reply, asset)
    })
  }
}

/** The page with `<meta name="plexi-connect" content="ORIGIN ...">` after its charset: the origins
 * its Content-Security-Policy lets it call besides its own. */
export function withConnectMeta (index: DashboardAsset, origins: readonly string[]): DashboardAsset {
  const text = index.body.toString('utf8')
  const at = text.indexOf('<meta charset="utf-8">')
  if (at < 0) return index
  const escaped = origins.join(' ').replace(/[&"<>]/g, (c) => `&#${c.charCodeAt(0)};`)
  const end = at + '<meta charset="utf-8">'.length
  return { contentType: index.contentType, body: Buffer.from(`${text.slice(0, end)}\n<meta name="plexi-connect" content="${escaped}">${text.slice(end)}`) }
}
