import { isDeepStrictEqual } from 'node:util'
import fc from 'fast-check'
import { ADMIN_TOKEN, AdminFixture } from '../helpers/admin-fixture.ts'
import { parameters } from './fuzz-target.ts'
import type { FuzzOptions, FuzzTarget } from './fuzz-target.ts'
import { httpRequest } from './http-requests.ts'

/**
 * The admin routes (node/admin). Left out: `/logs/stream` and `/stats/stream`, which stream until
 * the client leaves (inject would wait for ever); their parameters are those of `/logs` and `/stats`.
 */
const ROUTES = [
  'GET /', 'GET /livez', 'GET /readyz', 'GET /metrics', 'GET /ui/*', 'GET /docs', 'GET /docs/json',
  ...[
    'GET /actors', 'GET /actors/:type/:key', 'POST /actors/:type/:key/migrate', 'GET /audit', 'GET /audit/verify', 'GET /backups', 'POST /backups',
    'GET /backups/:id', 'DELETE /backups/:id', 'POST /backups/:id/restore', 'POST /backups/:id/verify', 'POST /backups/sweep', 'GET /cluster',
    'GET /jobs', 'GET /jobs/:id', 'POST /jobs/:id/cancel', 'GET /logs', 'GET /models', 'POST /models/:name/load', 'POST /models/:name/unload',
    'GET /nodes', 'PUT /nodes/:peerId/roles', 'POST /nodes/:peerId/drain', 'POST /nodes/:peerId/decommission', 'GET /partitions', 'GET /repairs',
    'POST /repairs', 'GET /repairs/:id', 'GET /restores', 'GET /rooms', 'GET /scrub', 'POST /scrub', 'GET /stats', 'GET /storage', 'GET /tokens',
    'POST /tokens', 'DELETE /tokens/:name', 'GET /users', 'POST /users', 'DELETE /users/:name'
  ].map((r) => r.replace(' /', ' /api/v1/'))
]
/** Body fields the admin routes read. */
const FIELDS = ['name', 'scope', 'roles', 'to', 'partition', 'note', 'room', 'user', 'after', 'limit', 'from', 'until', 'keep', 'force', 'save']

/** What a refused request must leave as it was. */
async function stateOf (admin: AdminFixture): Promise<unknown> {
  const read = async (url: string): Promise<unknown> => {
    const res = await admin.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })
    return [res.statusCode, res.json()]
  }
  return { users: await read('/api/v1/users'), tokens: await read('/api/v1/tokens'), rooms: await read('/api/v1/rooms') }
}

/**
 * The admin endpoint as a node builds it (AdminFixture: a real actor system, store, users, tokens
 * and audit trail), through inject: any method and path (params filled with traversal, percent-
 * encoding, control bytes, long names), query, token and body (JSON near the routes', any JSON,
 * not JSON). Never a 500; a refused request (4xx, 503) changes nothing (users, named tokens,
 * rooms). The audit trail is left out of the state on purpose: a refused request is recorded there.
 */
export const adminFuzz: FuzzTarget = {
  name: 'admin',
  about: 'admin HTTP (inject on the real app): any method, path, token and body → never 500; refused requests change nothing',
  defaultRuns: 2_000,
  async run (options: FuzzOptions) {
    const admin = new AdminFixture()
    await admin.setup()
    try {
      let known = await stateOf(admin)
      return await fc.check(fc.asyncProperty(httpRequest(ROUTES, ADMIN_TOKEN, FIELDS), async (request) => {
        const res = await admin.app.inject(request)
        if (res.statusCode >= 500 && res.statusCode !== 503) throw new Error(`${request.method} ${request.url} answered ${res.statusCode}: ${res.body.slice(0, 300)}`)
        const after = await stateOf(admin)
        if (res.statusCode >= 400 && !isDeepStrictEqual(known, after)) throw new Error(`${request.method} ${request.url} refused (${res.statusCode}) but changed the state`)
        known = after
      }), parameters(options))
    } finally {
      await admin.teardown()
    }
  }
}
