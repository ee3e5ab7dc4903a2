/** What `GET /api/v1/cluster` shows beside its members (nodes-schemas.ts): whether writes are available. */

/** GET /cluster `writes`: the write quorum as the answering node sees it (node/replication WriteQuorum). */
export const writesSchema = {
  type: 'object',
  description: 'whether writes are available: the storage nodes up against the replicas a write needs',
  required: ['available', 'needed', 'writeQuorum', 'replicas', 'storageNodes', 'storageUp', 'partitions', 'unavailablePartitions', 'down'],
  properties: {
    available: { type: 'boolean', description: 'every partition has the replicas up that a write needs' },
    needed: { type: 'integer', description: 'replicas a write needs (the write quorum, or the fence quorum where that is more)' },
    writeQuorum: { type: 'integer' },
    replicas: { type: 'integer', description: 'replicas per partition in use' },
    storageNodes: { type: 'integer', description: 'storage nodes holding replicas' },
    storageUp: { type: 'integer', description: 'of them, up' },
    partitions: { type: 'integer' },
    unavailablePartitions: { type: 'integer', description: 'partitions with fewer replicas up than a write needs: their entities answer UNAVAILABLE' },
    down: { type: 'array', items: { type: 'string' }, description: 'peer ids of the storage nodes down' }
  }
} as const
