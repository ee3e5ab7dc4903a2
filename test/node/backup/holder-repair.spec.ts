import { expect } from 'chai'
import { BackupKey, ChunkStore, HolderRepair, ciphertextDigest, holderAt, sealChunk, spawnChunkHolder } from '../../../node/backup/index.ts'
import type { PutChunk } from '../../../node/backup/index.ts'
import { rendezvousRanking } from '../../../node/mesh/index.ts'
import { ServiceFailures } from '../../../node/services/index.ts'
import { waitFor } from '../../helpers/wait-for.ts'
import { flipChunkByte, useChunkStores } from '../../helpers/chunk-stores.ts'
import { useTestCluster } from '../../helpers/test-cluster.ts'
import type { TestNode } from '../../helpers/test-cluster.ts'

const key = new BackupKey(Buffer.alloc(32, 3))

function chunk (i: number): PutChunk & { sealed: Buffer } {
  const plain = Buffer.from(`chunk ${i} ${'x'.repeat(200 + i)}`)
  const id = key.chunkId(plain)
  const sealed = sealChunk(key, id, plain)
  return { id, digest: ciphertextDigest(sealed), sealed }
}

describe('HolderRepair: backup holders re-replicate their chunks without the key (real libp2p, pack files)', function () {
  this.timeout(60_000)
  const net = useTestCluster()
  const { dirs, stores, open } = useChunkStores()

  /** Four backup holders; 40 chunks, each put on the 2 holders its ranking names among all four. */
  async function placed (): Promise<{ nodes: TestNode[], chunks: Array<PutChunk & { sealed: Buffer }>, candidates: Array<{ peerId: string, roles: string[], capacity: number }> }> {
    const nodes = await net.of([['backup'], ['backup'], ['backup'], ['backup']])
    for (const n of nodes) {
      const store = await open()
      spawnChunkHolder(n.system, store)
    }
    const candidates = nodes.map((n) => ({ peerId: n.id, roles: ['backup'], capacity: 1 }))
    const chunks = Array.from({ length: 40 }, (_, i) => chunk(i))
    const a = nodes[0] as TestNode
    for (const c of chunks) for (const node of rendezvousRanking(`chunk/${c.id}`, candidates, 2)) await holderAt(a.system, node).put([c])
    return { nodes, chunks, candidates }
  }

  const repairOf = (nodes: readonly TestNode[], i: number, candidates: () => Array<{ peerId: string, roles: string[], capacity: number }>): HolderRepair => {
    const n = nodes[i] as TestNode
    return new HolderRepair({ store: stores[i] as ChunkStore, self: n.id, holders: candidates, copies: 2, holder: (node) => holderAt(n.system, node) })
  }

  it('should put back a copy another holder lost, and do nothing when every copy is where it should be', async () => {
    const { nodes, chunks, candidates } = await placed()
    const a = nodes[0] as TestNode
    // every holder finds its chunks' other copies in place
    for (let i = 0; i < nodes.length; i++) expect((await repairOf(nodes, i, () => candidates).run()).copied, `holder ${i}`).to.equal(0)
    // a chunk lost on one of its two holders comes back from the other
    const c = chunks[7] as PutChunk
    const [first, second] = rendezvousRanking(`chunk/${c.id}`, candidates, 2) as [string, string]
    expect(await holderAt(a.system, second).remove([c.id])).to.equal(1)
    const at = nodes.findIndex((n) => n.id === first)
    const result = await repairOf(nodes, at, () => candidates).run()
    expect(result).to.include({ copied: 1 })
    expect(result.unreachable).to.deep.equal([])
    expect(Buffer.from(await holderAt(a.system, second).get(c.id) as Uint8Array).equals(chunks[7]?.sealed as Buffer)).to.equal(true)
  })

  it('should give the chunks of a holder that left to the next holders in their rankings, skip a holder that does not answer, and never spread a damaged copy', async () => {
    const { nodes, chunks, candidates } = await placed()
    const a = nodes[0] as TestNode
    const gone = nodes[3] as TestNode
    const left = candidates.filter((c) => c.peerId !== gone.id)
    // the chunks the gone holder kept: each still has a copy on one of the three left
    const orphaned = chunks.filter((c) => rendezvousRanking(`chunk/${c.id}`, candidates, 2).includes(gone.id))
    expect(orphaned.length).to.be.greaterThan(0)
    // a damaged copy on holder 0 of one of them: its bytes changed on disk
    const victim = orphaned.find((c) => rendezvousRanking(`chunk/${c.id}`, candidates, 2).includes(a.id))
    if (victim !== undefined) expect(await flipChunkByte(dirs[0]?.path as string, victim.id)).to.equal(true)
    // still listed as a holder but not answering: skipped, named
    await gone.stop()
    const withGone = await repairOf(nodes, 0, () => candidates).run()
    expect(withGone.unreachable).to.deep.equal([gone.id])
    // once it has left the holders, the survivors copy its chunks to the next in each ranking
    let copied = 0
    const damaged: string[] = []
    for (let i = 0; i < 3; i++) {
      const r = await repairOf(nodes, i, () => left).run()
      copied += r.copied
      damaged.push(...r.damaged)
    }
    expect(damaged).to.deep.equal(victim === undefined ? [] : [victim.id])
    expect(copied).to.equal(orphaned.length - (victim === undefined ? 0 : 1))
    for (const c of orphaned) {
      if (c === victim) continue
      for (const node of rendezvousRanking(`chunk/${c.id}`, left, 2)) expect(await holderAt(a.system, node).has([c.id]), `${c.id} on ${node}`).to.deep.equal([true])
    }
  })

  it('should run its passes as a supervised service, counting a pass that fails and running again after it', async () => {
    const { nodes, chunks, candidates } = await placed()
    const a = nodes[0] as TestNode
    const failures = new ServiceFailures()
    const warned: string[] = []
    let fail = true
    const repair = new HolderRepair({
      store: stores[0] as ChunkStore,
      self: a.id,
      holders: () => { if (fail) throw new Error('members not known yet'); return candidates },
      copies: 2,
      holder: (node) => holderAt(a.system, node),
      failures,
      log: { info: () => undefined, warn: (_o, m) => { warned.push(m) } }
    })
    // a chunk of the first holder's, lost on its other holder
    const c = chunks.find((x) => rendezvousRanking(`chunk/${x.id}`, candidates, 2)[0] === a.id) as PutChunk
    const other = rendezvousRanking(`chunk/${c.id}`, candidates, 2)[1] as string
    expect(await holderAt(a.system, other).remove([c.id])).to.equal(1)
    repair.start(1)
    repair.start(1)
    await waitFor(() => failures.of('backup-holder-repair') > 0, 'a failed pass counted', { timeout: 10_000 })
    expect(warned[0]).to.match(/^backup-holder-repair failed: members not known yet/)
    fail = false
    await waitFor(() => repair.stats.runs > 0, 'a pass that ran', { timeout: 30_000, interval: 20 })
    await repair.stop()
    expect(repair.stats.copied).to.be.at.least(1)
    expect(await holderAt(a.system, other).has([c.id])).to.deep.equal([true])
  })
})
