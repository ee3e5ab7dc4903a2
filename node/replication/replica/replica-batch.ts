import type { Behavior, ReplyTo } from '../../../actors/index.ts'
import { errorData, isErrorData } from '../../../protocols/index.ts'
import { systemPath } from '../../../protocols/p2p/index.ts'
import type { ErrorData } from '../../../protocols/index.ts'
import { MAX_LEASE_BATCH } from '../constants.ts'
import { InvalidReplicaReplyError, InvalidReplicaRequestError } from '../errors.ts'
import { partitionOf } from '../partitioning.ts'
import { checkReplicaReply, checkReplicaRequest } from './replica-protocol.ts'
import type { ReplicaRequest, ReplyOf } from './replica-protocol.ts'

/** The requests a batch carries: an owner's lease renewal or confirmation, and its letting go. */
export type LeaseRequest = Extract<ReplicaRequest, { op: 'lease' | 'release' }>

/** One request of a batch, for the replica of `partition` on the receiving node. */
export interface BatchItem {
  readonly partition: number
  readonly request: LeaseRequest
}

/**
 * Many entities' lease requests to one node in one message (docs/replication.md, "Leases";
 * docs/protocol.md, "Replica batches"): each item is served exactly as the same request sent on its
 * own to the shard holder of its partition would be, and answered in the same place of `replies`.
 */
export interface ReplicaBatchMsg {
  readonly type: 'replica-batch'
  readonly items: readonly BatchItem[]
  readonly replyTo: ReplyTo<unknown>
}

/** An item's answer: the replica's reply, or the error that request alone would have failed with. */
export type BatchItemReply = { readonly reply: unknown } | { readonly error: ErrorData }

/** What an owner's node makes of an item's answer once checked. */
export type BatchItemOutcome<R extends LeaseRequest = LeaseRequest> = { readonly reply: ReplyOf<R> } | { readonly error: Error }

/** Where the replica-batch actor lives on every node that has one. */
export const REPLICA_BATCH_PATH = systemPath('replica-batch', 1)

/** Checks a batch from another node, every field of every item, before any of it is served: a
 * malformed one is refused whole and changes nothing. Gives the batch with each request as the
 * check made it (checkReplicaRequest). */
export function checkReplicaBatch (value: unknown, partitions: number): ReplicaBatchMsg {
  const fail = (why: string): never => { throw new InvalidReplicaRequestError(`replica batch: ${why}`) }
  const m = value as Record<string, unknown> | null
  if (m === null || typeof m !== 'object' || m.type !== 'replica-batch') fail('expected { type: "replica-batch", items, replyTo }')
  const items = (m as Record<string, unknown>).items
  if (!Array.isArray(items) || items.length < 1 || items.length > MAX_LEASE_BATCH) fail(`items must be an array of 1-${MAX_LEASE_BATCH}`)
  const checked = (items as unknown[]).map((item, i): BatchItem => {
    const it = item as Record<string, unknown> | null
    if (it === null || typeof it !== 'object' || Array.isArray(it)) fail(`item ${i}: expected { partition, request }`)
    const partition = (it as Record<string, unknown>).partition
    if (!Number.isSafeInteger(partition) || (partition as number) < 0 || (partition as number) >= partitions) fail(`item ${i}: partition must be an integer 0-${partitions - 1}`)
    let request: ReplicaRequest
    try {
      request = checkReplicaRequest((it as Record<string, unknown>).request)
    } catch (err) {
      return fail(`item ${i}: ${(err as Error).message}`)
    }
    if (request.op !== 'lease' && request.op !== 'release') return fail(`item ${i}: op must be lease or release, got ${request.op}`)
    if (partitionOf(request.entity, partitions) !== partition) fail(`item ${i}: ${request.entity} belongs to partition ${partitionOf(request.entity, partitions)}, not ${String(partition)}`)
    return { partition: partition as number, request }
  })
  return { type: 'replica-batch', items: checked, replyTo: (m as { replyTo: ReplyTo<unknown> }).replyTo }
}

/** Checks a batch's answer from another node: one answer per item, each a reply of its request's
 * op (checkReplicaReply) or an error as data. */
export function checkReplicaBatchReply (items: readonly BatchItem[], value: unknown): BatchItemOutcome[] {
  if (!Array.isArray(value) || value.length !== items.length) throw new InvalidReplicaReplyError(`reply to a batch of ${items.length}: expected an array of ${items.length} answers`)
  return value.map((answer: unknown, i) => {
    const a = answer as Record<string, unknown> | null
    const request = (items[i] as BatchItem).request
    if (a !== null && typeof a === 'object' && 'reply' in a) return { reply: checkReplicaReply(request, a.reply) }
    if (a !== null && typeof a === 'object' && isErrorData(a.error)) return { error: Object.assign(new Error(a.error.message), { name: a.error.name, kind: a.error.kind }) }
    throw new InvalidReplicaReplyError(`reply to a batch, item ${i} (${request.op} of ${request.entity}): expected { reply } or { error }`)
  })
}

/** What the replica-batch actor needs of the node's replicas (ReplicatedJournal has it). */
export interface BatchReplicas {
  readonly partitions: number
  serve<R extends ReplicaRequest> (partition: number, request: R): Promise<ReplyOf<R>>
}

/**
 * The replica-batch actor of a node: takes other nodes' batches of lease requests (checked whole
 * at the door, `checkPeer`), hands each item to the replica of its partition as the shard holder
 * would (the replica orders one entity's requests, in the order they came), and answers the batch
 * once every item is answered.
 */
export function replicaBatchHolder (replicas: BatchReplicas): Behavior<ReplicaBatchMsg, undefined> {
  return {
    init: () => undefined,
    checkPeer: (msg) => { checkReplicaBatch(msg, replicas.partitions) },
    receive (_state, msg, ctx) {
      // (checked again here: checkPeer only looks, and this gives each request as its check made it;
      // a bad batch from this node's own code is refused to its sender, never a crash of this actor)
      let items: readonly BatchItem[]
      try {
        items = checkReplicaBatch(msg, replicas.partitions).items
      } catch (err) {
        ctx.fail(msg.replyTo, err)
        return undefined
      }
      Promise.all(items.map(async (item): Promise<BatchItemReply> => {
        try {
          return { reply: await replicas.serve(item.partition, item.request) }
        } catch (err) {
          return { error: errorData(err) }
        }
      })).then((replies) => { ctx.reply(msg.replyTo, replies) }, (err: unknown) => { ctx.fail(msg.replyTo, err) })
      return undefined
    }
  }
}
