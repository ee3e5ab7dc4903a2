/** Exports and imports of conversations (`/api/v1/rooms/:room/export` and the like): the format
 * asked for, and what an import did. */
import { USER_NAME_PATTERN } from '../names.ts'
import { EXPORT_FORMATS } from '../transfer/index.ts'

export const exportQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    format: { type: 'string', enum: [...EXPORT_FORMATS], default: 'json', description: 'json (lossless, one record a line), ndjson (a header line, then one record a line) or md (Markdown, to read)' }
  }
} as const

export const importQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    dryRun: { type: 'boolean', default: false, description: 'check the export and say what would be added; write nothing' },
    as: { type: 'string', pattern: USER_NAME_PATTERN.source, description: 'the poster of record of the imported posts (rooms only; default admin)' }
  }
} as const

/** The body an import takes: an export as the export routes write it (json or ndjson). */
export const IMPORT_CONTENT_TYPES = ['application/json', 'application/x-ndjson', 'application/octet-stream', 'text/plain'] as const

/** An export as a download: the header names its records, so a client can show progress. */
export const EXPORT_RECORDS_HEADER = 'x-plexi-export-records'

export const importReportSchema = {
  $id: 'ImportReport',
  type: 'object',
  required: ['source', 'kind', 'name', 'dryRun', 'records', 'added', 'skipped', 'notImportable', 'watermark', 'batches'],
  properties: {
    source: { type: 'string', description: 'the export\'s source: the target keeps its watermark by it' },
    kind: { type: 'string', enum: ['room', 'agent'] },
    name: { type: 'string' },
    dryRun: { type: 'boolean' },
    records: { type: 'integer', description: 'records the file holds' },
    added: { type: 'integer', description: 'posts (or turns) added; a dry run: that would be' },
    skipped: { type: 'integer', description: 'posts an earlier import of the same source took already' },
    notImportable: { type: 'integer', description: 'records that add nothing: joins, leaves, redactions, redacted posts, tool rounds' },
    firstSeq: { type: 'integer', description: 'source seq of the first post added' },
    lastSeq: { type: 'integer', description: 'source seq of the last post added' },
    watermark: { type: 'integer', description: 'the highest source seq the target has taken from this source' },
    batches: { type: 'integer', description: 'journal appends made (or, a dry run, asked)' }
  }
} as const
