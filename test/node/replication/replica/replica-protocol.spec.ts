import { expect } from 'chai'
import { LevelReplicaStorage, LevelStore, ReplicatedJournal, checkReplicaReply, checkReplicaRequest } from '../../../../node/index.ts'
import { ReplicaValues, frameStored, recordKey, storedRecordEpoch, unframeStored } from '../../../../node/replication/index.ts'
import { seal } from '../../../../node/storage/index.ts'
import { tempDir } from '../../../helpers/temp-dir.ts'

/** What owners and replicas say to each other is checked on arrival like any input from the wire. */
describe('replica protocol', () => {
  let dir: { path: string, remove: () => Promise<void> }
  let store: LevelStore | undefined
  beforeEach(async () => { dir = await tempDir() })
  afterEach(async () => {
    await store?.close()
    store = undefined
    await dir.remove()
  })

  it('should refuse malformed replica requests from peers with a clear error', () => {
    const bad: unknown[] = [
      null, 5, [], { op: 'drop' }, { op: 'fence', entity: 'nokey', epoch: 1, activation: 'a' },
      { op: 'fence', entity: 'room/x', epoch: -1, activation: 'a' }, { op: 'fence', entity: 'room/x', epoch: 1, activation: '' },
      { op: 'append', entity: 'room/x', epoch: 2, activation: 'a', prevSeq: 0, prevEpoch: 0, records: [] },
      { op: 'append', entity: 'room/x', epoch: 2, activation: 'a', prevSeq: 0, prevEpoch: 0, records: [{ seq: 2, epoch: 2, event: 1 }] },
      { op: 'append', entity: 'room/x', epoch: 2, activation: 'a', prevSeq: 0, prevEpoch: 0, records: [{ seq: 1, epoch: 3, event: 1 }] },
      { op: 'append', entity: 'room/x', epoch: 2, activation: 'a', prevSeq: 1, prevEpoch: 0, records: [{ seq: 2, epoch: 2, event: 1 }] },
      { op: 'read', entity: 'room/x', from: 0, limit: 1 }, { op: 'read', entity: 'room/x', from: 1, limit: 100_000 },
      { op: 'save-snapshot', entity: 'room/x', epoch: 1, snapshot: { seq: 0, state: 1 } },
      { op: 'truncate', entity: 'room/x', epoch: 2, activation: 'a', after: 3, afterEpoch: 0 },
      { op: 'truncate', entity: 'room/x', epoch: 2, activation: 'a', after: 3, afterEpoch: 5 },
      { op: 'truncate', entity: 'room/x', epoch: 2, activation: 'a', after: -1, afterEpoch: 1 },
      { op: 'truncate', entity: 'room/x', epoch: 0, activation: 'a', after: 0, afterEpoch: 0 }
    ]
    for (const request of bad) {
      expect(() => checkReplicaRequest(request), JSON.stringify(request)).to.throw(/replica request/).with.property('name', 'InvalidReplicaRequestError')
    }
    expect(checkReplicaRequest({ op: 'append', entity: 'room/x', epoch: 3, activation: 'a', prevSeq: 4, prevEpoch: 2, records: [{ seq: 5, epoch: 2, event: 1 }, { seq: 6, epoch: 3, event: 2 }] })).to.have.property('op', 'append')
    expect(checkReplicaRequest({ op: 'truncate', entity: 'room/x', epoch: 3, activation: 'a', after: 4, afterEpoch: 2 })).to.have.property('op', 'truncate')
    expect(checkReplicaReply({ op: 'truncate', entity: 'room/x', epoch: 3, activation: 'a', after: 4, afterEpoch: 2 }, { result: 'ok', summary: { promised: 3, head: 4, headEpoch: 2, segments: [[2, 1]], snapshotSeq: 0 } })).to.have.property('result', 'ok')
  })

  it('should refuse an append-sealed whose values are not sealed records framed in order, and take one that is', () => {
    const values = new ReplicaValues()
    const stored = (seq: number, epoch: number): Uint8Array => seal(recordKey(3, 'room/x', seq), values.encodeRecord({ seq, epoch, event: { n: seq } }))
    const base = { op: 'append-sealed', entity: 'room/x', epoch: 5, activation: 'restore-1', prevSeq: 4, prevEpoch: 2 }
    const good = frameStored([stored(5, 2), stored(6, 3), stored(7, 300)])
    const unsealed = Buffer.from(stored(5, 2))
    unsealed[0] = 9
    const refused = [
      { ...base, values: 'bytes' },
      { ...base, values: Buffer.alloc(0) },
      { ...base, values: good.subarray(0, good.byteLength - 1) },
      { ...base, values: frameStored([unsealed]) },
      { ...base, values: frameStored([Buffer.from([1, ...Buffer.alloc(32), 0x93, 1, 2, 3])]) },
      { ...base, values: frameStored([stored(5, 3), stored(6, 2)]) },
      { ...base, values: frameStored([stored(5, 1)]) },
      { ...base, epoch: 250, values: good },
      { ...base, prevSeq: 0, values: good },
      { ...base, activation: 7, values: good }
    ]
    for (const request of refused) {
      expect(() => checkReplicaRequest(request), JSON.stringify(request).slice(0, 200)).to.throw(/replica request: (append-sealed|activation)/).with.property('name', 'InvalidReplicaRequestError')
    }
    expect(checkReplicaRequest({ ...base, epoch: 300, values: good })).to.have.property('op', 'append-sealed')
    expect(storedRecordEpoch(stored(1, 70_000))).to.equal(70_000)
    expect(storedRecordEpoch(stored(1, 2 ** 40))).to.equal(2 ** 40)
    expect(unframeStored(good)?.map((v) => storedRecordEpoch(v))).to.deep.equal([2, 3, 300])
  })

  it('should refuse malformed rewrites and trims, replies to them and summaries with a floor out of range', () => {
    const rec = { seq: 2, epoch: 3, event: 'x', rev: 1, revEpoch: 4 }
    const bad: unknown[] = [
      { op: 'rewrite', entity: 'room/x', epoch: 4, activation: 'a', records: [] },
      { op: 'rewrite', entity: 'room/x', epoch: 4, activation: 'a', records: [{ ...rec, rev: 0 }] },
      { op: 'rewrite', entity: 'room/x', epoch: 4, activation: 'a', records: [{ ...rec, revEpoch: 3 }] },
      { op: 'rewrite', entity: 'room/x', epoch: 4, activation: 'a', records: [{ ...rec, epoch: 5 }] },
      { op: 'rewrite', entity: 'room/x', epoch: 4, activation: 'a', records: [rec, rec] },
      // the generation followed: both fields or neither, not of a later epoch, below gen in this one
      { op: 'rewrite', entity: 'room/x', epoch: 4, activation: 'a', gen: 2, records: [rec], prevGen: 1 },
      { op: 'rewrite', entity: 'room/x', epoch: 4, activation: 'a', gen: 2, records: [rec], prevGen: 1, prevGenEpoch: 5 },
      { op: 'rewrite', entity: 'room/x', epoch: 4, activation: 'a', gen: 2, records: [rec], prevGen: 2, prevGenEpoch: 4 },
      { op: 'rewrite', entity: 'room/x', epoch: 4, activation: 'a', gen: 2, records: [rec], prevGen: -1, prevGenEpoch: 3 },
      { op: 'trim', entity: 'room/x', epoch: 4, activation: 'a', before: 1, prevEpoch: 3 },
      { op: 'trim', entity: 'room/x', epoch: 4, activation: 'a', before: 5, prevEpoch: 5 },
      { op: 'trim', entity: 'room/x', epoch: 4, activation: 'a', before: 5, prevEpoch: 3, snapshot: { seq: 3, state: 1 } },
      { op: 'append', entity: 'room/x', epoch: 2, activation: 'a', prevSeq: 0, prevEpoch: 0, records: [{ seq: 1, epoch: 2, event: 1, rev: -1 }] }
    ]
    for (const request of bad) {
      expect(() => checkReplicaRequest(request), JSON.stringify(request)).to.throw(/replica request/).with.property('name', 'InvalidReplicaRequestError')
    }
    expect(checkReplicaRequest({ op: 'rewrite', entity: 'room/x', epoch: 4, activation: 'a', gen: 1, records: [rec, { ...rec, seq: 3 }] })).to.have.property('op', 'rewrite')
    expect(checkReplicaRequest({ op: 'trim', entity: 'room/x', epoch: 4, activation: 'a', before: 5, prevEpoch: 3, snapshot: { seq: 4, state: 1 } })).to.have.property('op', 'trim')
    expect(checkReplicaRequest({ op: 'rewrite', entity: 'room/x', epoch: 4, activation: 'a', gen: 2, records: [rec], prevGen: 7, prevGenEpoch: 3 })).to.include({ prevGen: 7, prevGenEpoch: 3 })
    const summary = { promised: 4, head: 6, headEpoch: 4, segments: [[4, 1]], snapshotSeq: 4 }
    const trim = { op: 'trim', entity: 'room/x', epoch: 4, activation: 'a', before: 5, prevEpoch: 4 } as const
    expect(checkReplicaReply(trim, { result: 'ok', summary: { ...summary, floor: 5 } })).to.have.property('result', 'ok')
    expect(() => checkReplicaReply(trim, { result: 'ok', summary: { ...summary, floor: 8 } })).to.throw().with.property('name', 'InvalidReplicaReplyError')
    expect(() => checkReplicaReply(trim, { result: 'done' })).to.throw().with.property('name', 'InvalidReplicaReplyError')
    expect(checkReplicaReply(trim, { result: 'ok', summary: { ...summary, revised: 2, revisedEpoch: 3, rewrites: 3, rewritesEpoch: 4 } })).to.have.property('result', 'ok')
    expect(() => checkReplicaReply(trim, { result: 'ok', summary: { ...summary, revised: 2, revisedEpoch: -3 } })).to.throw().with.property('name', 'InvalidReplicaReplyError')
    expect(() => checkReplicaReply(trim, { result: 'ok', summary: { ...summary, rewrites: 2, rewritesEpoch: 'x' } })).to.throw().with.property('name', 'InvalidReplicaReplyError')
    const rewrite = { op: 'rewrite', entity: 'room/x', epoch: 4, activation: 'a', gen: 1, records: [rec] } as const
    expect(() => checkReplicaReply(rewrite, { result: 'ok', summary })).to.throw().with.property('name', 'InvalidReplicaReplyError')
    expect(checkReplicaReply(rewrite, { result: 'ok', summary, kept: 1, whole: true })).to.have.property('kept', 1)
    const read = { op: 'read', entity: 'room/x', from: 2, limit: 1 } as const
    expect(() => checkReplicaReply(read, [{ ...rec, rev: 'one' }])).to.throw().with.property('name', 'InvalidReplicaReplyError')
  })

  it('should refuse replies from another node that are not replies of the protocol, and not take the entity on them', async () => {
    const fence = { op: 'fence', entity: 'room/x', epoch: 5, activation: 'a' } as const
    const summary = { promised: 5, head: 2, headEpoch: 3, segments: [[3, 1]], snapshotSeq: 0 }
    expect(checkReplicaReply(fence, { ok: true, summary })).to.deep.equal({ ok: true, summary })
    expect(checkReplicaReply(fence, { ok: true, summary, learner: true })).to.deep.equal({ ok: true, summary, learner: true })
    const read = { op: 'read', entity: 'room/x', from: 3, limit: 2 } as const
    for (const [request, reply] of [
      [fence, null], [fence, { ok: true }], [fence, { ok: true, summary: { ...summary, segments: [[3]] } }], [fence, { ok: false }], [fence, { ok: true, summary, learner: 'yes' }], [fence, { ok: true, summary, learner: false }],
      [{ op: 'append', entity: 'room/x', epoch: 5, activation: 'a', prevSeq: 0, prevEpoch: 0, records: [{ seq: 1, epoch: 5, event: 1 }] }, { result: 'fine' }],
      [read, [{ seq: 4, epoch: 1, event: 1 }]], [read, [{ seq: 3, epoch: 1, event: 1 }, { seq: 4, epoch: 1, event: 1 }, { seq: 5, epoch: 1, event: 1 }]],
      [{ op: 'load-snapshot', entity: 'room/x' }, { seq: 0, state: 1 }], [{ op: 'summary', entity: 'room/x' }, { ...summary, head: -1 }]
    ] as const) {
      expect(() => checkReplicaReply(request as never, reply), JSON.stringify(reply)).to.throw(/reply to/).with.property('name', 'InvalidReplicaReplyError')
    }
    // an owner whose other replica answers nonsense cannot gather its fence quorum: it says why
    store = await LevelStore.open(dir.path)
    const journal = new ReplicatedJournal({
      self: 'me',
      storage: await LevelReplicaStorage.open(store),
      roster: () => [{ peerId: 'me', roles: ['storage'], capacity: 1 }, { peerId: 'liar', roles: ['storage'], capacity: 1 }],
      remote: async (_node, _p, request) => checkReplicaReply(request, { ok: true, summary: { head: 'lots' } })
    })
    const err = await journal.open('room/x').then(() => null, (e: unknown) => e)
    expect(err).to.have.property('name', 'InvalidReplicaReplyError')
  })
})
