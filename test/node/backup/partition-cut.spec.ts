import { expect } from 'chai'
import { readPartitionCut, wholeValues } from '../../../node/backup/index.ts'
import type { EntityCut } from '../../../node/backup/index.ts'
import { checkEntityPage, meshPeer, partitionOf, replicaPeer, shardHolderPath } from '../../../node/index.ts'
import { append, recs, replicaDisks } from '../replication/fixtures/replica-disks.ts'
import type { PartitionPeer, ShardHolderMsg } from '../../../node/index.ts'
import { recordKey } from '../../../node/replication/index.ts'
import { sealIntact } from '../../../node/storage/index.ts'
import { cutRecords } from '../../helpers/stored-cuts.ts'
import { useTestCluster } from '../../helpers/test-cluster.ts'
import type { TestNode } from '../../helpers/test-cluster.ts'

/** Writes `count` records of `epoch` after `from` to one replica, as an owner of that epoch would. */
async function write (node: TestNode, entity: string, epoch: number, from: number, count: number, activation = `owner-${epoch}`): Promise<void> {
  const p = node.journal.storage.partitionOf(entity)
  expect(await node.journal.core(p).handle({ op: 'fence', entity, epoch, activation })).to.include({ ok: true })
  const prevEpoch = from === 0 ? 0 : (await node.journal.core(p).handle({ op: 'read', entity, from, limit: 1 }))[0]?.epoch ?? 0
  const records = Array.from({ length: count }, (_, i) => ({ seq: from + i + 1, epoch, event: { n: from + i + 1, epoch } }))
  for (let i = 0; i < count; i += 500) {
    const reply = await node.journal.core(p).handle({ op: 'append', entity, epoch, activation, prevSeq: from + i, prevEpoch: i === 0 ? prevEpoch : epoch, records: records.slice(i, i + 500) })
    expect(reply.result).to.equal('ok')
  }
}

async function cutAll (partition: number, peers: Map<string, PartitionPeer>, quorum: number): Promise<EntityCut[]> {
  const out: EntityCut[] = []
  for await (const cut of readPartitionCut(partition, peers, { quorum })) out.push(cut)
  return out
}

describe('readPartitionCut: a partition as a backup takes it (real libp2p on loopback)', function () {
  this.timeout(60_000)
  const net = useTestCluster()

  it('should take every entity of a partition at its best log, read whole from a replica holding it', async () => {
    const nodes = await net.of([['chat'], ['chat'], ['chat']])
    const [a, b, c] = nodes as [TestNode, TestNode, TestNode]
    // entities of one partition (the first entity's)
    const p = a.journal.storage.partitionOf('room/r0')
    const ids = Array.from({ length: 400 }, (_, i) => `room/r${i}`).filter((id) => a.journal.storage.partitionOf(id) === p)
    const [long, moved, partial, ...rest] = ids as [string, string, string, ...string[]]
    // long: 2,500 records on a and b (several read pages)
    for (const n of [a, b]) await write(n, long, 3, 0, 2_500)
    // moved: a holds 300 of epoch 3; b went on under a newer owner (epoch 5) from seq 200: b's log is the best
    await write(a, moved, 3, 0, 300)
    await write(b, moved, 3, 0, 200)
    await write(b, moved, 5, 200, 20)
    // partial: c missed the last records a and b hold
    for (const n of [a, b]) await write(n, partial, 4, 0, 50)
    await write(c, partial, 4, 0, 40)
    for (const id of rest) for (const n of [a, b, c]) await write(n, id, 2, 0, 3)
    const peers = new Map(nodes.map((n) => [n.id, meshPeer(c.system, n.id, p, c.journal.partitions)]))
    const cuts = await cutAll(p, peers, 2)
    expect(cuts.map((x) => x.entity)).to.deep.equal([...ids].sort())
    const byId = new Map(cuts.map((x) => [x.entity, x]))
    const longCut = byId.get(long) as EntityCut
    const longRecords = cutRecords(longCut)
    expect([longCut.head, longRecords.length, longRecords.at(-1)?.seq]).to.deep.equal([2_500, 2_500, 2_500])
    expect(longRecords.every((r, i) => r.seq === i + 1 && (r.event as { n: number }).n === i + 1)).to.equal(true)
    // read over the mesh, each record comes sealed as a store would keep it under its own key
    expect(wholeValues(longCut).every((v, i) => sealIntact(recordKey(p, long, i + 1), v))).to.equal(true)
    const movedCut = byId.get(moved) as EntityCut
    expect([movedCut.head, movedCut.headEpoch, movedCut.from]).to.deep.equal([220, 5, b.id])
    expect(cutRecords(movedCut).slice(199).map((r) => r.epoch)).to.deep.equal([3, ...Array.from({ length: 20 }, () => 5)])
    expect((byId.get(partial) as EntityCut).head).to.equal(50)
    expect((byId.get(partial) as EntityCut).from).to.not.equal(c.id)
  })

  it('should go on with a quorum when a replica is gone, fail without one, and read from another holder of the same log', async () => {
    const nodes = await net.of([['chat'], ['chat'], ['chat']])
    const [a, b, c] = nodes as [TestNode, TestNode, TestNode]
    const entity = 'room/kept'
    const p = a.journal.storage.partitionOf(entity)
    for (const n of [a, b]) await write(n, entity, 2, 0, 10)
    const real = (n: TestNode): PartitionPeer => meshPeer(c.system, n.id, p, c.journal.partitions)
    const gone: PartitionPeer = {
      ...real(a),
      entities: async () => { throw new Error('connection refused') }
    }
    // a lists the entity, then fails to serve it: b holds the same log
    const flaky: PartitionPeer = { ...real(a), read: async () => { throw new Error('stream reset') } }
    const withFlaky = await cutAll(p, new Map([[a.id, flaky], [b.id, real(b)], [c.id, gone]]), 2)
    expect(withFlaky.map((x) => [x.entity, x.head, x.from])).to.deep.equal([[entity, 10, b.id]])
    const refused = await cutAll(p, new Map([[a.id, gone], [b.id, real(b)], [c.id, gone]]), 2).then(() => undefined, (e: Error) => e)
    expect(refused?.name).to.equal('BackupSourceError')
    expect(refused?.message).to.match(/1 of its 3 replicas listed it, 2 must/)
  })

  it('should refuse malformed listing requests from peers, and a listing that is not the next entities of the partition', async () => {
    const nodes = await net.of([['chat'], ['chat']])
    const [a, b] = nodes as [TestNode, TestNode]
    const holder = a.system.actorAt<ShardHolderMsg>({ node: b.id, path: shardHolderPath(3) })
    const otherPartition = Array.from({ length: 100 }, (_, i) => `room/x${i}`).find((id) => b.journal.storage.partitionOf(id) !== 3)
    for (const request of [{ op: 'entities', after: '', limit: 0 }, { op: 'entities', after: '', limit: 1_001 }, { op: 'entities', after: 7, limit: 10 },
      { op: 'entities', after: otherPartition, limit: 10 }, { op: 'entities', limit: 10 }]) {
      const err = await holder.ask<unknown>((replyTo) => ({ type: 'partition', request, replyTo }) as unknown as ShardHolderMsg, { timeout: 5_000 }).then(() => null, (e: unknown) => e)
      expect(err, JSON.stringify(request)).to.have.property('name', 'InvalidReplicaRequestError')
    }
    expect(await holder.ask<unknown[]>((replyTo) => ({ type: 'partition', request: { op: 'entities', after: '', limit: 10 }, replyTo }), { timeout: 5_000 })).to.deep.equal([])
    // the listing pages in id order
    const inPartition = Array.from({ length: 400 }, (_, i) => `room/y${i}`).filter((id) => a.journal.storage.partitionOf(id) === 3).slice(0, 2).sort()
    for (const n of [b]) for (const id of inPartition) await write(n, id, 1, 0, 1)
    const listed = await meshPeer(a.system, b.id, 3, a.journal.partitions).entities('', 10)
    expect(listed.map((e) => e.entity)).to.deep.equal(inPartition)
    expect((await meshPeer(a.system, b.id, 3, a.journal.partitions).entities(inPartition[0] as string, 10)).map((e) => e.entity)).to.deep.equal(inPartition.slice(1))
  })

  it('should refuse a peer\'s listing that loops, skips back, exceeds its page or names another partition\'s entity', () => {
    const partitions = 16
    const ids = Array.from({ length: 300 }, (_, i) => `room/z${i}`).filter((id) => partitionOf(id, partitions) === 5).sort()
    const other = Array.from({ length: 300 }, (_, i) => `room/z${i}`).find((id) => partitionOf(id, partitions) !== 5) as string
    const summary = { promised: 1, head: 1, headEpoch: 1, segments: [[1, 1]], snapshotSeq: 0 }
    const entry = (entity: string): object => ({ entity, summary })
    const fail = (why: string): never => { throw new Error(why) }
    const check = (value: unknown, after = '', limit = 10): unknown => { try { return checkEntityPage(value, after, limit, 5, partitions, fail) } catch (err) { return (err as Error).message } }
    expect(check([entry(ids[0] as string), entry(ids[1] as string)])).to.deep.equal([entry(ids[0] as string), entry(ids[1] as string)])
    expect(check([entry(ids[1] as string), entry(ids[0] as string)])).to.match(/not the next entity/)
    expect(check([entry(ids[0] as string), entry(ids[0] as string)])).to.match(/not the next entity/)
    expect(check([entry(ids[0] as string)], ids[1] as string)).to.match(/not the next entity/)
    expect(check([entry(other)])).to.match(/not the next entity/)
    expect(check([entry(ids[0] as string), entry(ids[1] as string)], '', 1)).to.match(/at most 1/)
    expect(check({ 0: entry(ids[0] as string) })).to.match(/at most 10/)
    expect(check([{ entity: ids[0], summary: { head: -1 } }])).to.be.a('string')
  })
})

describe('readPartitionCut of trimmed journals (in-process, real LevelDB)', () => {
  const { open, cleanup } = replicaDisks()
  afterEach(cleanup)

  it('should cut a trimmed journal from its floor with the snapshot that covers it, and keep a rewritten record\'s revision', async () => {
    const [a, b] = [await open(), await open()]
    const E = 'room/trimmed'
    for (const r of [a, b]) await append(r.core, E, 3, 0, 0, recs(1, 6, 3))
    for (const r of [a, b]) {
      await r.core.handle({ op: 'trim', entity: E, epoch: 3, activation: 'a3', before: 4, prevEpoch: 3, snapshot: { seq: 4, state: { upTo: 4 } } })
      await r.core.handle({ op: 'rewrite', entity: E, epoch: 3, activation: 'a3', gen: 1, records: [{ seq: 5, epoch: 3, event: 'scrubbed', rev: 1 }] })
    }
    const p = a.storage.partitionOf(E)
    const peers = new Map([['a', replicaPeer(p, a.storage, a.core)], ['b', replicaPeer(p, b.storage, b.core)]])
    const [cut] = await cutAll(p, peers, 2)
    expect(cut).to.deep.include({ entity: E, head: 6, headEpoch: 3, trimmed: { floor: 4, snapshot: { seq: 4, state: { upTo: 4 } } } })
    const records = cutRecords(cut as EntityCut)
    expect(records.map((r) => [r.seq, r.rev ?? 0])).to.deep.equal([[4, 0], [5, 1], [6, 0]])
    expect(records[1]?.event).to.equal('scrubbed')
    // read from this node's own store: the values as stored, seals intact
    expect(wholeValues(cut as EntityCut).every((v, i) => sealIntact(recordKey(p, E, 4 + i), v))).to.equal(true)
  })

  it('should keep the newest snapshot among the replicas holding the cut\'s log, at or below its head, and none past it', async () => {
    const [a, b, c] = [await open(), await open(), await open()]
    const E = 'room/snapshots'
    for (const r of [a, b, c]) await append(r.core, E, 3, 0, 0, recs(1, 9, 3))
    // a (read first) holds none: it was fed after the owner snapshotted; b an older one; c one past
    // what the others hold (it holds two records more)
    await b.core.handle({ op: 'save-snapshot', entity: E, epoch: 3, snapshot: { seq: 4, state: { at: 4 } } })
    await c.core.handle({ op: 'save-snapshot', entity: E, epoch: 3, snapshot: { seq: 6, state: { at: 6 } } })
    const p = a.storage.partitionOf(E)
    const peers = new Map([['a', replicaPeer(p, a.storage, a.core)], ['b', replicaPeer(p, b.storage, b.core)], ['c', replicaPeer(p, c.storage, c.core)]])
    expect((await cutAll(p, peers, 2))[0]).to.deep.include({ head: 9, latest: { seq: 6, state: { at: 6 } } })
    // c's log goes on past the others' (a newer head): the cut is c's, and a snapshot past 9 of a
    // log of 9 is never taken
    await append(c.core, E, 3, 9, 3, recs(10, 11, 3))
    await c.core.handle({ op: 'save-snapshot', entity: E, epoch: 3, snapshot: { seq: 11, state: { at: 11 } } })
    expect((await cutAll(p, peers, 2))[0]).to.deep.include({ head: 11, latest: { seq: 11, state: { at: 11 } } })
    // none held anywhere: none taken
    const E2 = 'room/bare'
    for (const r of [a, b]) await append(r.core, E2, 3, 0, 0, recs(1, 3, 3))
    const p2 = a.storage.partitionOf(E2)
    const bare = (await cutAll(p2, new Map([['a', replicaPeer(p2, a.storage, a.core)], ['b', replicaPeer(p2, b.storage, b.core)]]), 2)).find((x) => x.entity === E2)
    expect(bare).to.not.have.property('latest')
  })

  it('should stream this node\'s replica page by page when asked, the values it reads whole, and fail the stream at its end where the log moved under it or lost a record', async () => {
    const [a, b] = [await open(), await open()]
    const E = 'room/streamed'
    // 20,500 records: three pages of 8,000 (STORED_READ_BATCH × 8)
    for (const r of [a, b]) for (let at = 0; at < 20_500; at += 2_500) await append(r.core, E, 3, at, at === 0 ? 0 : 3, recs(at + 1, at + 2_500 > 20_500 ? 20_500 : at + 2_500, 3))
    const p = a.storage.partitionOf(E)
    const peers = (wrap?: (peer: PartitionPeer) => PartitionPeer): Map<string, PartitionPeer> => new Map([['a', (wrap ?? ((x) => x))(replicaPeer(p, a.storage, a.core))], ['b', replicaPeer(p, b.storage, b.core)]])
    const streamed = async (wrap?: (peer: PartitionPeer) => PartitionPeer): Promise<Uint8Array[][]> => {
      const out: Uint8Array[][] = []
      for await (const cut of readPartitionCut(p, peers(wrap), { quorum: 2, prefer: 'a', stream: true })) {
        expect(cut.entity).to.equal(E)
        for await (const page of cut.values as AsyncIterable<readonly Uint8Array[]>) out.push([...page])
      }
      return out
    }
    const [whole] = await cutAll(p, peers(), 2)
    const pages = await streamed()
    expect(pages.map((page) => page.length)).to.deep.equal([8_000, 8_000, 4_500])
    expect(pages.flat().map((v) => Buffer.from(v).toString('hex'))).to.deep.equal(wholeValues(whole as EntityCut).map((v) => Buffer.from(v).toString('hex')))
    // a new owner (epoch 4) seals the head again while the second page is read: the read fails at
    // its end, after its pages were taken (the caller drops the stream and reads the partition again)
    const moving = (peer: PartitionPeer): PartitionPeer => {
      let reads = 0
      return {
        ...peer,
        readStored: async (entity, from, count) => {
          if (++reads === 2) await append(a.core, E, 4, 20_499, 3, recs(20_500, 20_500, 4))
          return await (peer.readStored as NonNullable<PartitionPeer['readStored']>)(entity, from, count)
        }
      }
    }
    const moved = await streamed(moving).then(() => null, (e: unknown) => e)
    expect(moved).to.have.property('name', 'StreamRestartError')
    expect((moved as Error).message).to.equal(`${E}: record 20500 has epoch 4, the listing said 3`)
    // a record gone from this node's store under the read: the page that should hold it fails
    const losing = (peer: PartitionPeer): PartitionPeer => ({
      ...peer,
      readStored: async (entity, from, count) => {
        if (from > 1) await a.storage.store.write([{ type: 'del', key: recordKey(p, E, 9_000) }])
        return await (peer.readStored as NonNullable<PartitionPeer['readStored']>)(entity, from, count)
      }
    })
    const lost = await streamed(losing).then(() => null, (e: unknown) => e)
    expect(lost).to.have.property('name', 'StreamRestartError')
    expect((lost as Error).message).to.match(/room\/streamed: this node's replica misses a record of 8001 to 16000/)
  })
})

