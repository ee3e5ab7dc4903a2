/** Redaction, erasure and retention as the admin API takes and answers them. */

/** `POST /api/v1/rooms/:room/redact`'s answer (the room's RedactAck). */
export const redactAckSchema = {
  type: 'object',
  required: ['room', 'seq', 'redactionSeq', 'ts', 'already'],
  properties: {
    room: { type: 'string' },
    seq: { type: 'integer', description: 'the post redacted' },
    redactionSeq: { type: 'integer', description: 'the redaction\'s own seq in the room; 0 when the post was redacted already' },
    ts: { type: 'integer' },
    already: { type: 'boolean' }
  }
} as const

/** A room's retention: days and/or posts (a record goes when either says so). */
export const retentionSchema = {
  type: 'object',
  additionalProperties: false,
  minProperties: 1,
  properties: {
    days: { type: 'integer', minimum: 1, maximum: 36_500 },
    posts: { type: 'integer', minimum: 1, maximum: 1_000_000_000 }
  }
} as const

/** A room's own setting: a retention, 'forever' (keep everything whatever the default), or null
 * (follow the cluster's default). */
export const retentionSettingSchema = { anyOf: [retentionSchema, { type: 'string', enum: ['forever'] }, { type: 'null' }] } as const

/** `GET /api/v1/retention`. */
export const retentionViewSchema = {
  type: 'object',
  required: ['defaults', 'rooms'],
  properties: {
    defaults: { anyOf: [retentionSchema, { type: 'null' }], description: 'config retention-days and retention-posts; null: keep forever' },
    rooms: { type: 'object', additionalProperties: { anyOf: [retentionSchema, { type: 'string', enum: ['forever'] }] }, description: 'the rooms with a setting of their own' }
  }
} as const
