import { expect } from 'chai'
import { shardHolderPath } from '../../../../node/index.ts'
import type { ShardHolderMsg } from '../../../../node/index.ts'
import { MAX_LEASE_BATCH } from '../../../../node/replication/constants.ts'
import { partitionOf } from '../../../../node/replication/partitioning.ts'
import { REPLICA_BATCH_PATH, checkReplicaBatch, checkReplicaBatchReply } from '../../../../node/replication/replica/replica-batch.ts'
import type { BatchItem, BatchItemReply, ReplicaBatchMsg } from '../../../../node/replication/replica/replica-batch.ts'
import { useTestCluster } from '../../../helpers/test-cluster.ts'
import type { TestNode } from '../../../helpers/test-cluster.ts'

/** Many entities' lease requests to one node in one message, asked over the mesh as an owner's node
 * asks it (real libp2p on loopback, real replicas on LevelDB). */
describe('replica batches (real libp2p on loopback)', function () {
  this.timeout(60_000)
  const net = useTestCluster()

  const fence = async (a: TestNode, b: TestNode, entity: string, epoch: number, activation: string): Promise<unknown> =>
    await a.system.actorAt<ShardHolderMsg>({ node: b.id, path: shardHolderPath(b.journal.storage.partitionOf(entity)) })
      .ask((replyTo) => ({ type: 'replica', request: { op: 'fence', entity, epoch, activation }, replyTo }), { timeout: 5_000 })

  it('should answer each item as the same request on its own would be, in order, across partitions', async () => {
    const [a, b] = await net.of([['chat'], ['chat']]) as [TestNode, TestNode]
    const entities = ['agent/u1', 'agent/u2', 'agent/u3']
    for (const e of entities) expect(await fence(a, b, e, 5, `act-${e}`)).to.deep.include({ ok: true })
    const items: BatchItem[] = [
      ...entities.map((e) => ({ partition: b.journal.storage.partitionOf(e), request: { op: 'lease', entity: e, epoch: 5, activation: `act-${e}`, holder: `act-${e}` } as const })),
      // an older epoch: refused as stale, saying the promise
      { partition: b.journal.storage.partitionOf('agent/u1'), request: { op: 'lease', entity: 'agent/u1', epoch: 4, activation: 'old', holder: 'old' } },
      { partition: b.journal.storage.partitionOf('agent/u2'), request: { op: 'release', entity: 'agent/u2', holder: 'act-agent/u2' } }
    ]
    const replies = await a.system.actorAt<ReplicaBatchMsg>({ node: b.id, path: REPLICA_BATCH_PATH })
      .ask<BatchItemReply[]>((replyTo) => ({ type: 'replica-batch', items, replyTo }), { timeout: 5_000 })
    expect(checkReplicaBatchReply(items, replies)).to.deep.equal([
      { reply: { result: 'ok' } }, { reply: { result: 'ok' } }, { reply: { result: 'ok' } },
      { reply: { result: 'stale', promised: 5 } },
      { reply: { result: 'ok' } }
    ])
    // served by the replica as a lease request is: one in a newer epoch raises the promise durably
    const u3 = { partition: b.journal.storage.partitionOf('agent/u3'), request: { op: 'lease', entity: 'agent/u3', epoch: 7, activation: 'newer', holder: 'newer' } } as const
    const raised = await a.system.actorAt<ReplicaBatchMsg>({ node: b.id, path: REPLICA_BATCH_PATH })
      .ask<BatchItemReply[]>((replyTo) => ({ type: 'replica-batch', items: [u3], replyTo }), { timeout: 5_000 })
    expect(raised).to.deep.equal([{ reply: { result: 'ok' } }])
    expect((await b.journal.core(u3.partition).state('agent/u3')).summary.promised).to.equal(7)
    expect(await fence(a, b, 'agent/u3', 6, 'other')).to.deep.include({ ok: false, promised: 7 })
  })

  it('should be refused by a node without the actor (an older version) as LeaseBatches expects, ActorStoppedError', async () => {
    const [a, b] = await net.of([['chat'], ['chat']]) as [TestNode, TestNode]
    const item = { partition: b.journal.storage.partitionOf('agent/x'), request: { op: 'release', entity: 'agent/x', holder: 'h' } } as const
    // (a path no node has stands for the one an older node lacks)
    const err = await a.system.actorAt<ReplicaBatchMsg>({ node: b.id, path: `${REPLICA_BATCH_PATH}@9` })
      .ask<unknown>((replyTo) => ({ type: 'replica-batch', items: [item], replyTo }), { timeout: 5_000 }).then(() => null, (e: unknown) => e)
    expect(err).to.have.property('name', 'ActorStoppedError')
  })

  it('should refuse a malformed batch from a peer whole, serving none of its items', async () => {
    const [a, b] = await net.of([['chat'], ['chat']]) as [TestNode, TestNode]
    const entity = 'agent/held'
    expect(await fence(a, b, entity, 5, 'x')).to.deep.include({ ok: true })
    const p = b.journal.storage.partitionOf(entity)
    // a lease in a newer epoch would raise the promise: with a bad item beside it, it must not
    const good = { partition: p, request: { op: 'lease', entity, epoch: 9, activation: 'y', holder: 'y' } }
    const batch = a.system.actorAt<ReplicaBatchMsg>({ node: b.id, path: REPLICA_BATCH_PATH })
    for (const items of [
      [good, { partition: p, request: { op: 'fence', entity, epoch: 9, activation: 'y' } }],
      [good, { partition: (p + 1) % b.journal.partitions, request: good.request }],
      [good, { partition: b.journal.partitions, request: good.request }],
      [good, { partition: p, request: { op: 'lease', entity, epoch: -1, activation: 'y', holder: 'y' } }],
      [good, null],
      [],
      Array.from({ length: MAX_LEASE_BATCH + 1 }, () => good),
      'all'
    ]) {
      const err = await batch.ask<unknown>((replyTo) => ({ type: 'replica-batch', items, replyTo }) as unknown as ReplicaBatchMsg, { timeout: 5_000 }).then(() => null, (e: unknown) => e)
      expect(err, JSON.stringify(items).slice(0, 200)).to.have.property('name', 'InvalidReplicaRequestError')
    }
    expect((await b.journal.core(p).state(entity)).summary.promised).to.equal(5)
  })
})

describe('checkReplicaBatch, checkReplicaBatchReply', () => {
  const partitions = 16
  const entity = 'agent/a'
  const item: BatchItem = { partition: partitionOf(entity, partitions), request: { op: 'lease', entity, epoch: 2, activation: 'x', holder: 'x' } }

  it('should take a batch a correct owner sends', () => {
    const msg = { type: 'replica-batch', items: [item], replyTo: { askId: '1', node: 'n' } }
    expect(checkReplicaBatch(msg, partitions)).to.deep.equal(msg)
  })

  it('should take one answer per item, a reply of its op or an error as data, and nothing else', () => {
    const outcomes = checkReplicaBatchReply([item, item], [{ reply: { result: 'ok' } }, { error: { name: 'StorageError', message: 'disk full', kind: 'unavailable' } }])
    expect(outcomes[0]).to.deep.equal({ reply: { result: 'ok' } })
    const failed = outcomes[1] as { error: Error }
    expect(failed.error.name).to.equal('StorageError')
    expect(failed.error.message).to.equal('disk full')
    for (const bad of [[{ reply: { result: 'ok' } }], [{ reply: { result: 'yes' } }, { reply: { result: 'ok' } }], [{}, {}], { 0: 1 }, [{ error: { name: 1 } }, { reply: { result: 'ok' } }]]) {
      expect(() => checkReplicaBatchReply([item, item], bad), JSON.stringify(bad)).to.throw().with.property('name', 'InvalidReplicaReplyError')
    }
  })
})
