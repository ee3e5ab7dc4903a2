import { expect } from 'chai'
import { recoveredInit, takeEntity } from '../../../../node/replication/journal/entity-take.ts'
import { posts, useReplicaSet } from '../fixtures/replica-set.ts'

const E = 'room/taken'

/** Taking an entity for a new activation (docs/replication.md, steps 1–3) on real replicas. */
describe('takeEntity', () => {
  const set = useReplicaSet(['a', 'b', 'c'])
  const opts = (activation: string): Parameters<typeof takeEntity>[0] => ({ entityId: E, replicas: ['a', 'b', 'c'], writeQuorum: 2, activation, env: set.env })
  const write = async (node: string, epoch: number, activation: string, records: Array<{ seq: number, event: unknown }>, prev = 0, prevEpoch = 0): Promise<void> => {
    const core = set.cores.get(node)
    await core?.handle({ op: 'fence', entity: E, epoch, activation })
    await core?.handle({ op: 'append', entity: E, epoch, activation, prevSeq: prev, prevEpoch, records: records.map((r) => ({ ...r, epoch })) })
  }

  it('should fence an epoch above every promise it meets, read the best log and its last record', async () => {
    // a has seqs 1-3 of epoch 7; b has 1-2 of epoch 7 and 3-4 of a newer epoch 9 (the best log)
    await write('a', 7, 'seven', posts(1, 3))
    await write('b', 7, 'seven', posts(1, 2))
    await write('b', 9, 'nine', posts(3, 4), 2, 7)
    // c is down, so the fence quorum of two is a and b whatever order the replicas answer in (with
    // c up, a and c may promise first: then a's log is the best of those read, as it should be)
    set.down.add('c')
    const taken = await takeEntity(opts('next'))
    expect(taken.epoch).to.be.above(9)
    expect(taken.best.node).to.equal('b')
    expect(taken.last).to.deep.include({ seq: 4, epoch: 9 })
    expect(taken.fenced.size).to.be.at.least(2)
    // recovery seals that record in the new epoch, and starts each replica's standing from its log
    const init = recoveredInit(opts('next'), taken)
    expect(init).to.deep.include({ epoch: taken.epoch, head: 4, sealed: 4, committed: 0, tailStart: 4, holder: 'next' })
    expect(init.tail).to.deep.equal([{ seq: 4, epoch: taken.epoch, event: { n: 4 } }])
    expect(init.segments.at(-1)).to.deep.equal([taken.epoch, 4])
    // (b holds the best log up to the sealed record: fed from seq 4 on)
    expect(init.tracks.find((t) => t.node === 'b')?.match).to.equal(3)
  })

  it('should refuse to take the entity when fewer than F replicas answer, saying which', async () => {
    set.down.add('b')
    set.down.add('c')
    const err = await takeEntity(opts('lonely')).then(() => null, (e: unknown) => e)
    expect(err).to.have.property('name', 'ReplicasUnavailableError')
    expect((err as Error).message).to.match(/1 of the 2 replicas a write needs/)
  })

  it('should stop with TakeAbandonedError when its activation lets go before a round', async () => {
    const abort = new AbortController()
    abort.abort()
    const err = await takeEntity({ ...opts('gone'), signal: abort.signal }).then(() => null, (e: unknown) => e)
    expect(err).to.have.property('name', 'TakeAbandonedError')
    expect(set.sent).to.deep.equal([])
  })

  it('should count the best replica as holding the log up to the sealed record, though its summary no longer lists the older segments', () => {
    // the best log's summary starts at seq 4 (older segments left out past SUMMARY_SEGMENTS)
    const best = { node: 'b', summary: { promised: 9, head: 4, headEpoch: 9, segments: [[9, 4]] as Array<[number, number]>, snapshotSeq: 0 } }
    const init = recoveredInit(opts('next'), { epoch: 12, fenced: new Map([['b', best.summary]]), former: new Map(), best, last: { seq: 4, epoch: 9, event: 'x' }, sentAt: new Map() })
    expect(init.tracks.map((t) => [t.node, t.match])).to.deep.equal([['a', -1], ['b', 3], ['c', -1]])
  })
})

/** Roster versions (docs/replication.md, "Roster versions"): a take under version v holds each earlier
 * version's set as well, all but fewer than min(W, F) of it. */
describe('takeEntity with earlier versions\' sets', () => {
  const set = useReplicaSet(['a', 'b', 'c', 'd', 'e'])
  // R = 3, W = 3, so F = 2: the every-node rule (fewer than W unread) would let two of the older
  // set c, d, e go unread, leaving an owner of that version the F promises of d and e
  const opts = (activation: string, olderSets?: string[][]): Parameters<typeof takeEntity>[0] => ({
    entityId: E, replicas: ['a', 'b', 'c'], formerHolders: ['d', 'e'], writeQuorum: 3, activation, env: set.env, ...(olderSets !== undefined && { olderSets })
  })

  it('should refuse when min(W, F) or more of an earlier set did not promise, where the every-node rule alone takes it', async () => {
    set.down.add('d')
    set.down.add('e')
    const err = await takeEntity(opts('versioned', [['c', 'd', 'e']])).then(() => null, (e: unknown) => e)
    expect(err).to.have.property('name', 'ReplicasUnavailableError')
    const unversioned = await takeEntity(opts('unversioned'))
    expect([...unversioned.fenced.keys()].sort()).to.deep.equal(['a', 'b', 'c'])
  })

  it('should take it when fewer than min(W, F) of each earlier set did not promise', async () => {
    set.down.add('e')
    const taken = await takeEntity(opts('versioned', [['c', 'd', 'e']]))
    expect([...taken.former.keys()]).to.deep.equal(['d'])
  })
})
