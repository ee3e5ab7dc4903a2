/** The audit trail's records as `GET /api/v1/audit` shows them. */

export const auditRecordSchema = {
  $id: 'AuditRecord',
  type: 'object',
  required: ['seq', 'ts', 'actor', 'node', 'ip', 'action', 'target', 'outcome', 'status', 'detail', 'prev', 'hash'],
  properties: {
    seq: { type: 'integer', description: '1, 2, 3, ... without gaps' },
    ts: { type: 'integer', description: 'ms since the epoch' },
    actor: { type: 'string', description: 'admin (the admin token), or unauthenticated (a missing or wrong token)' },
    node: { type: 'string', description: 'the node that served the request' },
    ip: { type: 'string', description: 'the client address that node saw' },
    action: { type: 'string', description: 'METHOD and route pattern: POST /api/v1/nodes/:peerId/drain' },
    target: { type: 'string', description: 'the URL path' },
    outcome: { type: 'string', enum: ['ok', 'refused', 'failed'] },
    status: { type: 'integer', description: 'the HTTP status answered' },
    detail: { type: 'string', description: 'the request body, clipped (nothing of the answer: a new user\'s token is never recorded)' },
    prev: { type: 'string', description: 'the hash of the record before (64 zeros for the first)' },
    hash: { type: 'string', description: 'SHA-256 (hex) of prev and this record\'s fields' }
  }
} as const
