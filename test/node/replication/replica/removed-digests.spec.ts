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
})
