/**
 * The web API part of `npm run bench -- scale`: every read route of the admin API and the
 * OpenAI-compatible endpoint's `GET /v1/models`, each loaded by autocannon (50 connections, the
 * admin token or a user's token as the bearer) for BENCH_SCALE_SECONDS, beside the bare Fastify
 * route with the same bearer check (scale-bare.ts) loaded the same way just before or after it
 * (the order alternates from route to route). Limits per address and per user are lifted on the
 * nodes (`--ip-rate 0 --user-rate 0`): the load comes from one address.
 *
 * Goals (issue 40): every read route >= 5,000 requests/s with < 50 ms mean; a route answered from
 * the node's memory >= 0.5x the bare route. Routes that ask an entity or the other members (a
 * catalog, the directory of rooms, every member's jobs) have the first goal alone, and so do those
 * that work in proportion to what they read (scale-items.ts: search, exports, `audit/verify`, on a
 * small cluster's data). Left out: the live streams (SSE), which never end.
 */
import { figure } from './figure.ts'
import type { Figure } from './figure.ts'
import { httpLoad } from './scale-load.ts'
import type { HttpLoadResult } from './scale-load.ts'

/** A route and who answers it: `memory` (this node's memory), `asks` (an entity, the members, the
 * disk) or `work` (work in proportion to what it reads: a search over every partition, an export,
 * the audit trail hashed again). */
export interface WebRoute {
  readonly name: string
  readonly url: string
  readonly token: string
  readonly kind: 'memory' | 'asks' | 'work'
  /** Sent with each request besides the bearer (as the route's real client sends them). */
  readonly headers?: Readonly<Record<string, string>>
  /** The route's answer is this many bytes: a second baseline, the bare route answering as many
   * bytes (made once), is loaded beside it too (the floor that the bytes alone set). */
  readonly bytes?: number
}

export const RATE_GOAL = 5_000
export const MEAN_MS_GOAL = 50

/** The admin API's read routes on `admin` (host:port), with `user` one of its users. */
export function adminRoutes (admin: string, token: string, user: string): WebRoute[] {
  const at = (path: string, kind: WebRoute['kind']): WebRoute => ({ name: `GET /api/v1/${path}`, url: `http://${admin}/api/v1/${path}`, token, kind })
  return [
    at('cluster', 'memory'), at('nodes', 'memory'), at('users', 'memory'), at('users?limit=4', 'memory'), at('tokens', 'memory'),
    at('inference', 'memory'), at('stats', 'memory'), at('logs', 'memory'), at('repairs', 'memory'),
    at('models', 'asks'), at('actors', 'asks'), at('actors/users/all', 'asks'), at('partitions', 'asks'), at('storage', 'asks'), at('scrub', 'asks'),
    at('jobs', 'asks'), at('backups', 'asks'), at('restores', 'asks'), at('audit', 'asks'), at('rooms', 'asks'), at('retention', 'asks'),
    at('plugins', 'asks'), at('mcp-servers', 'asks'), at(`users/${user}/tools`, 'asks')
  ]
}

/** What one route gave beside the bare route measured next to it: the round whose ratio was the
 * median of the rounds run, with every round's ratio. */
export interface RouteRun { readonly route: WebRoute, readonly ours: HttpLoadResult, readonly bare: HttpLoadResult, readonly ratios: readonly number[] }

/** Loads each route and the bare one next to it, alternating which goes first, `rounds` times
 * over the whole list (a route's rate on this shared machine swings by a third between two loads a
 * minute apart: the median of three is the figure); a route that answered anything but 2xx fails
 * the bench (it would be measuring its errors). */
export async function loadRoutes (routes: readonly WebRoute[], bare: { url: string, token: string }, seconds: number, log: (line: string) => void, rounds = 1): Promise<RouteRun[]> {
  // a second of each first, not counted: the node's code for each route compiled (a running
  // node's code is warm), and the bare server's
  await httpLoad(bare.url, bare.token, 1)
  for (const route of routes) await httpLoad(route.url, route.token, 1, route.headers)
  const loads = routes.map(() => [] as Array<{ ours: HttpLoadResult, bare: HttpLoadResult }>)
  for (let round = 0; round < rounds; round++) {
    for (const [i, route] of routes.entries()) {
      const first = (i + round) % 2 === 0 ? 'bare' : 'ours'
      const bareUrl = route.bytes === undefined ? bare.url : `${bare.url}-bytes?n=${route.bytes}`
      const a = first === 'bare' ? await httpLoad(bareUrl, bare.token, seconds) : await httpLoad(route.url, route.token, seconds, route.headers)
      const b = first === 'bare' ? await httpLoad(route.url, route.token, seconds, route.headers) : await httpLoad(bareUrl, bare.token, seconds)
      const [ours, base] = first === 'bare' ? [b, a] : [a, b]
      // an answer that is not 2xx means the bench measures errors: it fails; a connection error or a
      // timeout (autocannon's 10 s) in a thousand requests is counted and shown, more fails it
      if (ours.non2xx > 0 || base.non2xx > 0 || ours.errors > ours.total / 1000 || base.errors > base.total / 1000) {
        throw new Error(`${route.name}: ${ours.non2xx} answers not 2xx and ${ours.errors} errors of ${ours.total} (bare: ${base.non2xx}, ${base.errors} of ${base.total}); fix the route or the bench before reading its rate`)
      }
      log(`  ${route.name}${rounds > 1 ? ` (round ${round + 1})` : ''}: ${Math.round(ours.rate)}/s, mean ${ours.meanMs.toFixed(1)} ms, ${(ours.bytesPerAnswer / 1024).toFixed(1)} KB an answer; bare ${Math.round(base.rate)}/s, ${base.meanMs.toFixed(1)} ms (${(ours.rate / base.rate).toFixed(2)}x)${ours.errors > 0 ? `; ${ours.errors} connection errors or timeouts of ${ours.total}` : ''}`)
      loads[i]?.push({ ours, bare: base })
    }
  }
  return routes.map((route, i) => {
    const byRatio = [...loads[i] ?? []].sort((x, y) => x.ours.rate / x.bare.rate - y.ours.rate / y.bare.rate)
    const median = byRatio[Math.floor(byRatio.length / 2)] as { ours: HttpLoadResult, bare: HttpLoadResult }
    return { route, ours: median.ours, bare: median.bare, ratios: (loads[i] ?? []).map((l) => l.ours.rate / l.bare.rate) }
  })
}

/** Two figures per route: its rate against the bare route's, and its mean latency against the bare one's. */
export function routeFigures (runs: readonly RouteRun[]): Figure[] {
  return runs.flatMap(({ route, ours, bare }) => [
    figure(`web ${route.name} req/s`, 'req/s', ours.rate, `bare Fastify route, same bearer check${route.bytes === undefined ? '' : `, ${route.bytes} bytes`}`, bare.rate, route.kind === 'memory' ? `>= 0.5x and >= ${RATE_GOAL}/s` : `>= ${RATE_GOAL}/s`),
    figure(`web ${route.name} mean ms`, 'ms', ours.meanMs, 'bare Fastify route', bare.meanMs, `< ${MEAN_MS_GOAL} ms`)
  ])
}
