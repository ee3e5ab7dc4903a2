/** Backups as the catalog lists them (`/api/v1/backups`). */

export const backupSchema = {
  $id: 'Backup',
  type: 'object',
  required: ['id', 'state', 'note', 'keyFingerprint', 'node', 'startedAt', 'endedAt', 'error', 'root', 'manifest', 'stats', 'checkpoint', 'resumed'],
  properties: {
    id: { type: 'string', description: '`bk-<UTC time>-<6 hex>`' },
    state: { type: 'string', enum: ['running', 'done', 'failed'] },
    note: { type: 'string' },
    keyFingerprint: { type: 'string', description: 'the fingerprint of the backup key that made it (16 hex digits): a restore needs that key' },
    node: { type: 'string', description: 'peer id of the node that made it (the one that resumed it, when its first node stopped)' },
    startedAt: { type: 'integer', description: 'ms since the epoch' },
    endedAt: { type: ['integer', 'null'], description: 'ms since the epoch; null while running' },
    error: { type: ['string', 'null'], description: 'why it failed' },
    root: { type: ['string', 'null'], description: 'Merkle root (SHA-256, hex) over every chunk\'s id and digest: what verify checks against' },
    manifest: {
      type: ['object', 'null'],
      description: 'where its sealed manifest is kept',
      required: ['digest', 'bytes', 'holders'],
      properties: { digest: { type: 'string' }, bytes: { type: 'integer' }, holders: { type: 'array', items: { type: 'string' } } }
    },
    stats: {
      type: ['object', 'null'],
      description: 'what it took: partitions, entities, records, bytes (plaintext), chunks, and the chunks and bytes no earlier backup had stored',
      required: ['partitions', 'entities', 'records', 'bytes', 'chunks', 'newChunks', 'newBytes'],
      properties: {
        partitions: { type: 'integer' }, entities: { type: 'integer' }, records: { type: 'integer' }, bytes: { type: 'integer' },
        chunks: { type: 'integer' }, newChunks: { type: 'integer' }, newBytes: { type: 'integer' }
      }
    },
    checkpoint: {
      type: ['object', 'null'],
      description: 'while running: where the sealed partial manifest of the partitions done so far is kept (a node resuming the backup starts from it); null otherwise',
      required: ['digest', 'bytes', 'holders'],
      properties: { digest: { type: 'string' }, bytes: { type: 'integer' }, holders: { type: 'array', items: { type: 'string' } } }
    },
    resumed: { type: 'integer', description: 'how many times it was resumed after the node making it stopped (by that node started again, or by another node holding the key)' }
  }
} as const
