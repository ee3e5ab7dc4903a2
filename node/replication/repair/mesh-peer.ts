import type { ActorSystem } from '../../../actors/index.ts'
import { MAX_BUCKET_ENTITIES, REPLICA_ASK_MS, REPLICA_MERKLE_DEPTH } from '../constants.ts'
import { InvalidReplicaReplyError } from '../errors.ts'
import { partitionOf } from '../partitioning.ts'
import { checkReplicaReply, checkSummary, isEntityId } from '../replica/replica-protocol.ts'
import { shardHolderPath } from '../replica/shard-holder.ts'
import type { ShardHolderMsg } from '../replica/shard-holder.ts'
import { bucketOf } from './merkle-tree.ts'
import type { BucketEntry, EntitySummary, PartitionPeer } from './partition-peer.ts'

const HASH = /^[0-9a-f]{64}$/
const fromHex = (h: string): Uint8Array => new Uint8Array(Buffer.from(h, 'hex'))

/**
 * Another node's replica of a partition as anti-entropy asks it, through its shard holder; every
 * answer is checked before use (InvalidReplicaReplyError: the pass with that peer stops, nothing
 * is filled from it).
 */
export function meshPeer (system: ActorSystem, node: string, partition: number, partitions: number): PartitionPeer {
  const holder = (): ReturnType<ActorSystem['actorAt']> => system.actorAt<ShardHolderMsg>({ node, path: shardHolderPath(partition) })
  const fail = (why: string): never => { throw new InvalidReplicaReplyError(`${node}, partition ${partition}: ${why}`) }
  return {
    async tree (level, from, count) {
      const value = await holder().ask<unknown>((replyTo) => ({ type: 'partition', request: { op: 'tree', level, from, count }, replyTo }), { timeout: REPLICA_ASK_MS })
      if (!Array.isArray(value) || value.length > count || !value.every((h) => typeof h === 'string' && HASH.test(h))) fail(`tree level ${level}: expected at most ${count} hashes`)
      return (value as string[]).map(fromHex)
    },
    async bucket (bucket) {
      const value = await holder().ask<unknown>((replyTo) => ({ type: 'partition', request: { op: 'bucket', bucket }, replyTo }), { timeout: REPLICA_ASK_MS })
      if (!Array.isArray(value) || value.length > MAX_BUCKET_ENTITIES) fail(`bucket ${bucket}: expected a list of entities`)
      for (const e of value as Array<Record<string, unknown> | null>) {
        if (e === null || typeof e !== 'object' || !isEntityId(e.entity) || typeof e.promisedBy !== 'string' || e.promisedBy.length > 128 ||
          partitionOf(e.entity, partitions) !== partition || bucketOf(e.entity, REPLICA_MERKLE_DEPTH) !== bucket) {
          fail(`bucket ${bucket}: an entry that is not an entity of this bucket`)
        }
        checkSummary(e?.summary, fail)
        if (typeof e?.digest !== 'string' || !HASH.test(e.digest)) fail(`bucket ${bucket}: ${String(e?.entity)} without its digest`)
      }
      return (value as Array<BucketEntry & { digest: string }>).map((e) => ({ ...e, digest: fromHex(e.digest) }))
    },
    async spans (entity, from, to, span) {
      const value = await holder().ask<unknown>((replyTo) => ({ type: 'partition', request: { op: 'spans', entity, from, to, span }, replyTo }), { timeout: REPLICA_ASK_MS })
      const count = Math.ceil((to - from + 1) / span)
      if (!Array.isArray(value) || value.length !== count || !value.every((h) => typeof h === 'string' && HASH.test(h))) fail(`spans of ${entity}: expected ${count} digests`)
      return (value as string[]).map(fromHex)
    },
    async read (entity, from, limit) {
      const request = { op: 'read', entity, from, limit } as const
      return checkReplicaReply(request, await holder().ask<unknown>((replyTo) => ({ type: 'replica', request, replyTo }), { timeout: REPLICA_ASK_MS }))
    },
    async snapshot (entity) {
      const request = { op: 'load-snapshot', entity } as const
      return checkReplicaReply(request, await holder().ask<unknown>((replyTo) => ({ type: 'replica', request, replyTo }), { timeout: REPLICA_ASK_MS }))
    },
    async entities (after, limit) {
      const value = await holder().ask<unknown>((replyTo) => ({ type: 'partition', request: { op: 'entities', after, limit }, replyTo }), { timeout: REPLICA_ASK_MS })
      return checkEntityPage(value, after, limit, partition, partitions, fail)
    }
  }
}

/**
 * A page of a partition's entities as a peer answered it, checked: at most `limit`, each an entity
 * of this partition, in id order after `after` (so a peer cannot make a listing loop, skip back or
 * slip in another partition's entity), each with a well-formed summary.
 */
export function checkEntityPage (value: unknown, after: string, limit: number, partition: number, partitions: number, fail: (why: string) => never): EntitySummary[] {
  const from = after === '' ? 'the start' : after
  if (!Array.isArray(value) || value.length > limit) fail(`entities after ${from}: expected at most ${limit}`)
  let last = after
  for (const e of value as Array<Record<string, unknown> | null>) {
    if (e === null || typeof e !== 'object' || !isEntityId(e.entity) || partitionOf(e.entity, partitions) !== partition || !(e.entity > last)) {
      fail(`entities after ${from}: an entry that is not the next entity of this partition`)
    }
    checkSummary(e?.summary, fail)
    last = e?.entity as string
  }
  return (value as EntitySummary[]).map((e) => ({ entity: e.entity, summary: e.summary }))
}
