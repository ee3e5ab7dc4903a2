import type { FastifyInstance, FastifyReply } from 'fastify'
import { BEARER, LOG_LEVEL_NAMES, errors, ref } from '../../../protocols/admin/index.ts'
import type { LogEntry, LogLevelName } from '../../log-tail.ts'
import { LOG_HISTORY } from '../constants.ts'
import type { EventStreams } from '../event-streams.ts'
import { SerializedBody } from '../serialized-body.ts'

/** What the admin API reads of the log tail (node/log-tail.ts LogTail). */
export interface LogsView {
  entries (level?: LogLevelName, limit?: number): LogEntry[]
  /** The seq of the last line kept: while it is the same, so are the entries. */
  readonly seq: number
  subscribe (reader: (entry: LogEntry) => void): () => void
}

export interface LogsRoutesDeps {
  /** The last lines the node logged (absent: the routes list none). */
  readonly logs?: LogsView | undefined
  /** The endpoint's live streams (their bound is shared with the other streams). */
  readonly streams: Pick<EventStreams, 'serve'>
}

const logsQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    level: { type: 'string', enum: LOG_LEVEL_NAMES, default: 'info', description: 'the lowest level shown' },
    limit: { type: 'integer', minimum: 1, maximum: 1000, default: LOG_HISTORY }
  }
} as const

/** `/api/v1/logs`: the last lines this node logged, and a live tail of them (Server-Sent Events). */
export function logsRoutes (deps: LogsRoutesDeps) {
  return async (api: FastifyInstance): Promise<void> => {
    // the same lines (an append-only tail: the same seq of its last line) are the same answer:
    // listed and serialized once per line logged, not per request
    const last = new SerializedBody()
    api.get<{ Querystring: { level: LogLevelName, limit: number } }>('/logs', {
      schema: {
        summary: 'The last lines this node logged at `level` or above (info by default), oldest first; the node keeps its last 1000',
        security: BEARER,
        querystring: logsQuery,
        response: { 200: { type: 'object', required: ['entries'], properties: { entries: { type: 'array', items: ref('LogEntry') } } }, ...errors(400, 401) }
      }
    }, async (request, reply) => {
      const { level, limit } = request.query
      const logs = deps.logs
      const json = last.json([level, limit, logs?.seq], () => reply.serialize({ entries: logs?.entries(level, limit) ?? [] }))
      return await reply.type('application/json; charset=utf-8').send(json)
    })

    api.get<{ Querystring: { level: LogLevelName, limit: number } }>('/logs/stream', {
      schema: {
        summary: 'Server-Sent Events: `history` ({entries}: the last `limit` lines at `level` or above) first, then an `entry` event for each line logged; 429 when 16 streams are open, or streams-per-ip from one address',
        security: BEARER,
        querystring: logsQuery,
        produces: ['text/event-stream'],
        response: { ...errors(400, 401, 429) }
      }
    }, async (request, reply) => deps.streams.serve(request, reply, (stream) => {
      const { level, limit } = request.query
      stream.send('history', { entries: deps.logs?.entries(level, limit) ?? [] })
      const min = LOG_LEVEL_NAMES.indexOf(level)
      return deps.logs?.subscribe((entry) => {
        if (LOG_LEVEL_NAMES.indexOf(entry.level) >= min) stream.send('entry', entry)
      }) ?? (() => {})
    }))
  }
}
