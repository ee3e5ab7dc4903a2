import type { FastifyInstance, FastifyReply } from 'fastify'
import { BEARER, errors, ref } from '../../../protocols/admin/index.ts'
import type { Member } from '../../../protocols/index.ts'
import { clientAddress } from '../../limits/index.ts'
import type { ClientLimits } from '../../limits/index.ts'
import { RenderedMetrics, STATS_CAPACITY } from '../../metrics/index.ts'
import type { NodeMetrics, StatsSample } from '../../metrics/index.ts'
import { tokenMatcher } from '../../identity/index.ts'
import { authorized, unauthorized } from '../bearer-auth.ts'
import type { EventStreams } from '../event-streams.ts'
import { STATS_DEFAULT_SAMPLES } from '../constants.ts'
import { SerializedBody } from '../serialized-body.ts'

/*
 * The node's metrics, twice: for Prometheus at `/metrics` (outside /api/v1: a scraper holds the
 * metrics token, if any, never the admin token), and for people at `/api/v1/stats` (the dashboard's
 * metrics view, `plexi admin top`): the rates sampled every interval.
 */

export interface MetricsRoutesDeps {
  readonly metrics: { readonly registry: Pick<NodeMetrics['registry'], 'contentType' | 'metrics'> }
  /** When set, /metrics needs it as a bearer token. */
  readonly metricsToken?: string | undefined
  /** The node's limits per client address: a wrong metrics token counts as a failed authentication. */
  readonly clients?: Pick<ClientLimits, 'checkAuthentication' | 'failedAuthentication'> | undefined
}

/** `/metrics`: Prometheus's text format, behind the metrics token when one is configured; a flood of
 * scrapes is answered from one rendering per tenth of a second (RenderedMetrics). */
export function metricsRoutes (deps: MetricsRoutesDeps) {
  return async (app: FastifyInstance): Promise<void> => {
    const rendered = new RenderedMetrics({ render: async () => await deps.metrics.registry.metrics() })
    const isMetricsToken = deps.metricsToken === undefined ? undefined : tokenMatcher(deps.metricsToken)
    app.get('/metrics', { schema: { summary: 'Prometheus metrics (bearer metrics-token when one is configured)', response: { 401: ref('Error'), 429: ref('Error') } } }, async (request, reply) => {
      if (isMetricsToken !== undefined) {
        const address = clientAddress(request.ip)
        const presented = request.headers.authorization !== undefined
        if (presented) deps.clients?.checkAuthentication('metrics', address)
        if (!authorized(request, isMetricsToken)) {
          if (presented) deps.clients?.failedAuthentication('metrics', address)
          return unauthorized(reply, 'metrics token')
        }
      }
      reply.type(deps.metrics.registry.contentType).header('vary', 'accept-encoding')
      const gzip = acceptsGzip(request.headers['accept-encoding'])
      if (gzip) reply.header('content-encoding', 'gzip')
      return await reply.send(await rendered.body(gzip))
    })
  }
}

/** Whether an Accept-Encoding header takes gzip (`gzip`, `x-gzip` or `*`, not with q=0). */
export function acceptsGzip (header: string | undefined): boolean {
  if (header === undefined) return false
  return header.split(',').some((part) => {
    const [coding = '', ...params] = part.trim().toLowerCase().split(';').map((p) => p.trim())
    if (coding !== 'gzip' && coding !== 'x-gzip' && coding !== '*') return false
    const q = params.find((p) => p.startsWith('q='))
    return q === undefined || Number(q.slice(2)) > 0
  })
}

/** What the admin API reads of the stats sampler (node/metrics StatsSampler). */
export interface StatsView {
  readonly intervalMs: number
  samples (): StatsSample[]
  subscribe (reader: (sample: StatsSample) => void): () => void
}

export interface StatsRoutesDeps {
  readonly self: () => Member
  /** The node's rates, sampled every interval (absent: none are, and the routes list none). */
  readonly stats?: StatsView | undefined
  /** The endpoint's live streams (their bound is shared with the other streams). */
  readonly streams: Pick<EventStreams, 'serve'>
}

const statsResponse = { type: 'object', required: ['node', 'intervalMs', 'samples'], properties: { node: { type: 'string' }, intervalMs: { type: 'integer' }, samples: { type: 'array', items: ref('StatsSample') } } } as const
const statsQuery = {
  type: 'object',
  additionalProperties: false,
  properties: { limit: { type: 'integer', minimum: 1, maximum: STATS_CAPACITY, default: STATS_DEFAULT_SAMPLES, description: `the newest samples listed (the node keeps ${STATS_CAPACITY}: 5 minutes)` } }
} as const

/** `/api/v1/stats`: this node's newest rates (up to the last 5 minutes), and each new sample live (Server-Sent Events). */
export function statsRoutes (deps: StatsRoutesDeps) {
  return async (api: FastifyInstance): Promise<void> => {
    // this node's peer id, once (a member record is made each time self() is called)
    let node: string | undefined
    const statsBody = (limit = STATS_CAPACITY): { node: string, intervalMs: number, samples: StatsSample[] } => ({
      node: node ??= deps.self().peerId, intervalMs: deps.stats?.intervalMs ?? 1000, samples: deps.stats?.samples().slice(-limit) ?? []
    })
    // the same samples (the same last one, as many) are the same answer: serialized once per
    // sample (every second), not per request
    const last = new SerializedBody()
    api.get<{ Querystring: { limit: number } }>('/stats', {
      schema: {
        summary: `This node's rates (posts, deliveries, asks and their latency, tokens) and memory, sampled every interval: the newest \`limit\` (${STATS_DEFAULT_SAMPLES} by default, up to the last 5 minutes), oldest first`,
        security: BEARER,
        querystring: statsQuery,
        response: { 200: statsResponse, ...errors(400, 401) }
      }
    }, async (request, reply) => {
      const body = statsBody(request.query.limit)
      const json = last.json([body.node, body.samples.length, body.samples.at(-1)], () => reply.serialize(body))
      return await reply.type('application/json; charset=utf-8').send(json)
    })

    api.get('/stats/stream', {
      schema: { summary: 'Server-Sent Events: `history` (the body of GET /stats with every sample kept: the last 5 minutes) first, then a `sample` event each interval; 429 when 16 streams are open, or streams-per-ip from one address', security: BEARER, produces: ['text/event-stream'], response: { ...errors(401, 429) } }
    }, async (request, reply) => deps.streams.serve(request, reply, (stream) => {
      stream.send('history', statsBody())
      return deps.stats?.subscribe((sample) => { stream.send('sample', sample) }) ?? (() => {})
    }))
  }
}
