/** Live actors and entities as `GET /api/v1/actors` and `/api/v1/actors/{type}/{key}` show them. */

export const actorSchema = {
  $id: 'Actor',
  type: 'object',
  required: ['kind', 'path', 'key', 'status', 'mailbox', 'node'],
  properties: {
    kind: { type: 'string', description: 'entity type (room, users, ...) or actor kind' },
    path: { type: 'string' },
    key: { type: ['string', 'null'], description: 'the entity key; null for plain actors' },
    status: { type: 'string', enum: ['starting', 'running', 'suspended', 'stopping', 'stopped'] },
    mailbox: { type: 'integer' },
    node: { type: 'string', description: 'peer id of the node it lives on' }
  }
} as const

export const entitySchema = {
  $id: 'Entity',
  type: 'object',
  required: ['type', 'key', 'node', 'active', 'seq'],
  properties: {
    type: { type: 'string' },
    key: { type: 'string' },
    node: { type: 'string' },
    active: { type: 'boolean' },
    status: { type: ['string', 'null'] },
    mailbox: { type: 'integer' },
    seq: { type: 'integer', description: 'last journaled seq' },
    role: { type: 'string' },
    partition: { type: 'integer', description: 'the partition its journal is in' },
    replicas: {
      type: 'array',
      description: 'the replicas of that partition: status as the answering node sees it, the highest epoch each promised, records behind the fullest (null: did not answer)',
      items: {
        type: 'object',
        required: ['peerId', 'status', 'epoch', 'lag'],
        properties: { peerId: { type: 'string' }, status: { type: 'string' }, epoch: { type: ['integer', 'null'] }, lag: { type: ['integer', 'null'] } }
      }
    }
  }
} as const
