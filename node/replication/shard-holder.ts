import type { Behavior, ReplyTo } from '../../actors/index.ts'
import { InvalidReplicaRequestError } from './errors.ts'
import { partitionOf } from './partitioning.ts'
import { checkReplicaRequest } from './replica-protocol.ts'
import type { ReplicaRequest } from './replica-protocol.ts'
import type { ReplicatedJournal } from './replicated-journal.ts'

export type ShardHolderMsg = { readonly type: 'replica', readonly request: ReplicaRequest, readonly replyTo: ReplyTo<unknown> }

/** Where the shard holder of partition p lives on every node. */
export function shardHolderPath (partition: number): string {
  return `/shard-${partition}`
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
      if ((msg as { type?: unknown }).type !== 'replica') throw new InvalidReplicaRequestError('shard holder: expected { type: "replica", request }')
      const request = checkReplicaRequest(msg.request)
      if (partitionOf(request.entity, journal.partitions) !== partition) {
        throw new InvalidReplicaRequestError(`shard holder ${partition}: ${request.entity} belongs to partition ${partitionOf(request.entity, journal.partitions)}`)
      }
      journal.core(partition).handle(request).then((reply) => { ctx.reply(msg.replyTo, reply) }, (err: unknown) => { ctx.fail(msg.replyTo, err) })
      return undefined
    }
  }
}
