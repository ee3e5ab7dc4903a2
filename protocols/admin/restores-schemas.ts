/** Restores as the backup catalog keeps them (`GET /api/v1/restores`). */

export const restoreSchema = {
  $id: 'Restore',
  type: 'object',
  required: ['id', 'backup', 'selection', 'state', 'node', 'total', 'cursor', 'startedAt', 'endedAt', 'error', 'resumed'],
  properties: {
    id: { type: 'string', description: '`rs-<UTC time>-<6 hex>`' },
    backup: { type: 'string', description: 'the backup it restores' },
    selection: {
      type: 'object',
      description: 'what it takes back: empty for everything the backup holds',
      properties: { room: { type: 'string' }, user: { type: 'string' }, since: { type: 'number', description: 'ms since the epoch' } }
    },
    state: { type: 'string', enum: ['running', 'done', 'failed'] },
    node: { type: 'string', description: 'peer id of the node restoring it (the one that resumed it, when its first node stopped)' },
    total: { type: 'integer', description: 'entities it restores' },
    cursor: { type: 'integer', description: 'every entity before this one (in the order it takes them) is restored' },
    startedAt: { type: 'integer', description: 'ms since the epoch' },
    endedAt: { type: ['integer', 'null'] },
    error: { type: ['string', 'null'], description: 'why it failed' },
    resumed: { type: 'integer', description: 'how many times it was resumed after its node stopped' }
  }
} as const
