import { Readable } from 'node:stream'
import type { FastifyInstance, FastifyReply } from 'fastify'
import type { ActorSystem } from '../../../actors/index.ts'
import { BEARER, EXPORT_RECORDS_HEADER, IMPORT_CONTENT_TYPES, errors, exportQuery, importQuery, ref, roomNameParam, userNameParam } from '../../../protocols/admin/index.ts'
import type { ExportFormat } from '../../../protocols/index.ts'
import { ADMIN_IMPORTER, Exporter, Importer, exportChunks, fileLines, roomExportOptions, spoolImport } from '../../transfer/index.ts'
import type { ExportStream, ImportTarget } from '../../transfer/index.ts'

export interface TransferRoutesDeps {
  readonly system: Pick<ActorSystem, 'entity'>
  /** Names the cluster in exports' sources (absent: a room's or agent's own identity alone). */
  readonly clusterId?: string | undefined
  /** The node's exporter (reading its own replicas where it can); absent: one of `system` alone. */
  readonly exporter?: Exporter | undefined
}

const FILE_EXTENSIONS: Record<ExportFormat, string> = { json: 'json', ndjson: 'ndjson', md: 'md' }

/**
 * Exports and imports (docs/api.md, "Export and import"): a room, a user's agent conversation and
 * everything of one user as a streamed download (`?format=json|ndjson|md`), and an export imported
 * into a room or an agent conversation from the request's body (streamed to a temporary file,
 * checked whole, then imported in batches; `?dryRun=true` says what would be added).
 */
export function transferRoutes (deps: TransferRoutesDeps) {
  const exporter = deps.exporter ?? new Exporter({ system: deps.system, clusterId: deps.clusterId })
  const importer = new Importer({ system: deps.system })
  return async (api: FastifyInstance): Promise<void> => {
    // this scope takes an export's body as a stream of any size (the node's JSON parser holds and
    // bounds a whole body); the spool bounds it (MAX_IMPORT_FILE_BYTES)
    api.removeAllContentTypeParsers()
    api.addContentTypeParser([...IMPORT_CONTENT_TYPES], (_request, payload, done) => { done(null, payload) })

    const download = { 200: { type: 'string', description: 'the export, streamed' }, ...errors(400, 401, 403, 404) }
    api.get<{ Params: { room: string }, Querystring: { format: ExportFormat } }>('/rooms/:room/export', {
      schema: { summary: 'Export a room (every post, join, leave and redaction)', security: BEARER, params: { type: 'object', required: ['room'], properties: { room: roomNameParam } }, querystring: exportQuery, response: download }
    }, async (request, reply) => send(reply, await exporter.room(request.params.room, roomExportOptions(request.query.format)), request.query.format, `room-${request.params.room}`))

    api.get<{ Params: { name: string }, Querystring: { format: ExportFormat } }>('/users/:name/export', {
      schema: { summary: 'Export everything of one user: their posts in every room, their agent conversation, their settings', security: BEARER, params: nameParams, querystring: exportQuery, response: download }
    }, async (request, reply) => send(reply, await exporter.user(request.params.name), request.query.format, `user-${request.params.name}`))

    api.get<{ Params: { name: string }, Querystring: { format: ExportFormat } }>('/users/:name/agent/export', {
      schema: { summary: 'Export a user\'s agent conversation', security: BEARER, params: nameParams, querystring: exportQuery, response: download }
    }, async (request, reply) => send(reply, await exporter.agent(request.params.name), request.query.format, `agent-${request.params.name}`))

    const imported = { 200: ref('ImportReport'), ...errors(400, 401, 403, 415, 429) }
    api.post<{ Params: { room: string }, Querystring: { dryRun: boolean, as?: string } }>('/rooms/:room/import', {
      schema: { summary: 'Import a room\'s export into a room (idempotent: what was imported before is skipped)', security: BEARER, params: { type: 'object', required: ['room'], properties: { room: roomNameParam } }, querystring: importQuery, response: imported }
    }, async (request) => await importBody(importer, request.body, { kind: 'room', name: request.params.room }, request.query.as ?? ADMIN_IMPORTER, request.query.dryRun))

    api.post<{ Params: { name: string }, Querystring: { dryRun: boolean } }>('/users/:name/agent/import', {
      schema: { summary: 'Import an agent conversation\'s export into a user\'s agent', security: BEARER, params: nameParams, querystring: importQuery, response: imported }
    }, async (request) => await importBody(importer, request.body, { kind: 'agent', name: request.params.name }, request.params.name, request.query.dryRun))
  }
}

const nameParams = { type: 'object', required: ['name'], properties: { name: userNameParam } } as const

async function send (reply: FastifyReply, stream: ExportStream, format: ExportFormat, file: string): Promise<FastifyReply> {
  const { header } = stream
  return await reply
    .type(format === 'json' ? 'application/json' : format === 'ndjson' ? 'application/x-ndjson' : 'text/markdown; charset=utf-8')
    .header('content-disposition', `attachment; filename="${file}.${FILE_EXTENSIONS[format]}"`)
    .header(EXPORT_RECORDS_HEADER, header.kind === 'user' ? '' : String(Math.max(0, header.to - header.from + 1)))
    .send(Readable.from(exportChunks(stream, format)))
}

async function importBody (importer: Importer, body: unknown, target: ImportTarget, user: string, dryRun: boolean): Promise<unknown> {
  const spool = await spoolImport(body as AsyncIterable<Uint8Array>)
  try {
    return await importer.import(() => fileLines(spool.path), target, user, { dryRun })
  } finally {
    await spool.remove()
  }
}
