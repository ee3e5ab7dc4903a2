import type { Behavior, ReplyTo } from '../../../actors/index.ts'
import { InvalidReplicaRequestError } from '../errors.ts'
import { partitionOf } from '../partitioning.ts'
import { checkReplicaRequest, isEntityId } from './replica-protocol.ts'
import type { ReplicaRequest } from './replica-protocol.ts'
import type { ReplicatedJournal } from '../journal/replicated-journal.ts'
import { MAX_ENTITY_PAGE, MAX_SPANS, MAX_TREE_HASHES, REPLICA_MERKLE_DEPTH } from '../constants.ts'
import { replicaPeer } from '../repair/partition-peer.ts'
import { systemPath } from '../../../protocols/p2p/index.ts'

/** Anti-entropy's questions about the whole partition (docs/replication.md, "Anti-entropy"). */
export type PartitionRequest =
  | { readonly op: 'tree', readonly level: number, readonly from: number, readonly count: number }
  | { readonly op: 'bucket', readonly bucket: number }
  | { readonly op: 'spans', readonly entity: string, readonly from: number, readonly to: number, readonly span: number }
  /** A page of the partition's entities with their summaries (a backup's listing). */
  | { readonly op: 'entities', readonly after: string, readonly limit: number }

export type ShardHolderMsg =
  | { readonly type: 'replica', readonly request: ReplicaRequest, readonly replyTo: ReplyTo<unknown> }
  | { readonly type: 'partition', readonly request: PartitionRequest, readonly replyTo: ReplyTo<unknown> }

/** Where the shard holder of partition p lives on every node. */
export function shardHolderPath (partition: number): string {
  return systemPath(`shard-${partition}`, 1)
}

/**
 * The shard holder of one partition on this node: takes replica requests from owners on other
 * nodes, checks them like any client input (a malformed one, or one for an entity of another
 * partition, is refused and changes nothing), and answers them as the replica finishes each (the
 * replica orders one entity's requests; different entities' run side by side).
 */
export function shardHolder (partition: number, journal: ReplicatedJournal): Behavior<ShardHolderMsg, undefined> {
  return {
    init: () => undefined,
    receive (_state, msg, ctx) {
      if ((msg as { type?: unknown }).type === 'partition') {
        const request = checkPartitionRequest((msg as { request?: unknown }).request, partition, journal.partitions)
        answerPartition(partition, journal, request).then((reply) => { ctx.reply(msg.replyTo, reply) }, (err: unknown) => { ctx.fail(msg.replyTo, err) })
        return undefined
      }
      if ((msg as { type?: unknown }).type !== 'replica') throw new InvalidReplicaRequestError('shard holder: expected { type: "replica" | "partition", request }')
      const request = checkReplicaRequest(msg.request)
      if (partitionOf(request.entity, journal.partitions) !== partition) {
        throw new InvalidReplicaRequestError(`shard holder ${partition}: ${request.entity} belongs to partition ${partitionOf(request.entity, journal.partitions)}`)
      }
      journal.serve(partition, request).then((reply) => { ctx.reply(msg.replyTo, reply) }, (err: unknown) => { ctx.fail(msg.replyTo, err) })
      return undefined
    }
  }
}

/** Checks anti-entropy's request from another node: anything else is refused, nothing answered. */
export function checkPartitionRequest (value: unknown, partition: number, partitions: number): PartitionRequest {
  const r = value as Record<string, unknown> | null
  const int = (v: unknown, min: number, max: number): boolean => Number.isSafeInteger(v) && (v as number) >= min && (v as number) <= max
  if (r !== null && typeof r === 'object' && r.op === 'tree' && int(r.level, 0, REPLICA_MERKLE_DEPTH) && int(r.from, 0, 1 << REPLICA_MERKLE_DEPTH) && int(r.count, 1, MAX_TREE_HASHES)) {
    return { op: 'tree', level: r.level as number, from: r.from as number, count: r.count as number }
  }
  if (r !== null && typeof r === 'object' && r.op === 'bucket' && int(r.bucket, 0, (1 << REPLICA_MERKLE_DEPTH) - 1)) return { op: 'bucket', bucket: r.bucket as number }
  if (r !== null && typeof r === 'object' && r.op === 'spans' && isEntityId(r.entity) && partitionOf(r.entity, partitions) === partition &&
    int(r.from, 1, Number.MAX_SAFE_INTEGER) && int(r.to, r.from as number, Number.MAX_SAFE_INTEGER) && int(r.span, 1, Number.MAX_SAFE_INTEGER) &&
    Math.ceil(((r.to as number) - (r.from as number) + 1) / (r.span as number)) <= MAX_SPANS) {
    return { op: 'spans', entity: r.entity, from: r.from as number, to: r.to as number, span: r.span as number }
  }
  if (r !== null && typeof r === 'object' && r.op === 'entities' && (r.after === '' || (isEntityId(r.after) && partitionOf(r.after, partitions) === partition)) &&
    int(r.limit, 1, MAX_ENTITY_PAGE)) {
    return { op: 'entities', after: r.after as string, limit: r.limit as number }
  }
  throw new InvalidReplicaRequestError(`partition ${partition} request: expected { op: "tree", level 0-${REPLICA_MERKLE_DEPTH}, from, count 1-${MAX_TREE_HASHES} }, ` +
    `{ op: "bucket", bucket 0-${(1 << REPLICA_MERKLE_DEPTH) - 1} } or { op: "spans", entity of this partition, from >= 1, to >= from, span, at most ${MAX_SPANS} spans } ` +
    `or { op: "entities", after: "" or an entity of this partition, limit 1-${MAX_ENTITY_PAGE} }`)
}

/** Hashes as hex (they cross the wire as data like any other). */
async function answerPartition (partition: number, journal: ReplicatedJournal, request: PartitionRequest): Promise<unknown> {
  const peer = replicaPeer(partition, journal.storage, journal.core(partition))
  const hex = (h: Uint8Array): string => Buffer.from(h).toString('hex')
  switch (request.op) {
    case 'tree': return (await peer.tree(request.level, request.from, request.count)).map(hex)
    case 'bucket': return (await peer.bucket(request.bucket)).map((e) => ({ ...e, digest: hex(e.digest) }))
    case 'spans': return (await peer.spans(request.entity, request.from, request.to, request.span)).map(hex)
    case 'entities': return await peer.entities(request.after, request.limit)
  }
}
