import { expect } from 'chai'
import { LevelReplicaStorage, LevelStore, ReplicatedJournal, checkReplicaReply, checkReplicaRequest } from '../../../../node/index.ts'
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
      { op: 'save-snapshot', entity: 'room/x', epoch: 1, snapshot: { seq: 0, state: 1 } }
    ]
    for (const request of bad) {
      expect(() => checkReplicaRequest(request), JSON.stringify(request)).to.throw(/replica request/).with.property('name', 'InvalidReplicaRequestError')
    }
    expect(checkReplicaRequest({ op: 'append', entity: 'room/x', epoch: 3, activation: 'a', prevSeq: 4, prevEpoch: 2, records: [{ seq: 5, epoch: 2, event: 1 }, { seq: 6, epoch: 3, event: 2 }] })).to.have.property('op', 'append')
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
