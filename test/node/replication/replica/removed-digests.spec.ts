import { expect } from 'chai'
import { removedDigests } from '../../../../node/replication/replica/removed-digests.ts'
import { append, hex, recs, replicaDisks } from '../fixtures/replica-disks.ts'

describe('removedDigests', () => {
  const { open, cleanup } = replicaDisks()
  afterEach(cleanup)
  const E = 'room/removed'

  it('should give the digests of what a trim, a rewrite and a truncation remove, the truncated last first', async () => {
    const r = await open()
    await append(r.core, E, 3, 0, 0, recs(1, 8, 3))
    const p = r.storage.partitionOf(E)
    const digests = await r.storage.spanDigests(E, 1, 8, 1)
    const state = (await r.core.state(E))
    const { removed, below } = await removedDigests(r.storage.store, p, E, { state, removeBelow: 3, replace: [{ seq: 5, epoch: 3, event: 'x', rev: 1 }], removeFrom: 7 })
    expect(below).to.deep.equal([1, 2])
    expect(removed.map(([seq]) => seq)).to.deep.equal([1, 2, 5, 8, 7])
    expect(removed.map(([seq, d]) => [seq, hex(d)])).to.deep.equal([1, 2, 5, 8, 7].map((seq) => [seq, hex(digests[seq - 1] as Uint8Array)]))
    expect(await removedDigests(r.storage.store, p, E, { state })).to.deep.equal({ removed: [], below: [] })
  })

  it('should take a truncation of a long journal whole (250,000 records: more than a call\'s arguments hold), and the replica land it', async () => {
    const r = await open()
    for (let at = 0; at < 250_000; at += 25_000) await append(r.core, E, 3, at, at === 0 ? 0 : 3, recs(at + 1, at + 25_000, 3))
    const p = r.storage.partitionOf(E)
    const state = await r.core.state(E)
    const { removed } = await removedDigests(r.storage.store, p, E, { state, removeFrom: 2 })
    expect(removed).to.have.length(249_999)
    expect([removed[0]?.[0], removed.at(-1)?.[0]]).to.deep.equal([250_000, 2])
    // a new owner's record 2 takes the place of all of them (what a restore's truncate does too)
    await append(r.core, E, 4, 1, 3, recs(2, 2, 4))
    expect(r.storage.tree(p).records).to.equal(2)
    expect((await r.core.state(E)).summary).to.include({ head: 2, headEpoch: 4 })
  })
})

