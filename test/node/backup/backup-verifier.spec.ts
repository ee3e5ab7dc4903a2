import { expect } from 'chai'
import type { BackupEntry } from '../../../actors/index.ts'
import { holderAt } from '../../../node/backup/index.ts'
import { finished, post, readBack, useBackupCluster } from '../../helpers/backup-cluster.ts'
import type { Written } from '../../helpers/backup-cluster.ts'
import { flipChunkByte } from '../../helpers/chunk-stores.ts'
import type { TestNode } from '../../helpers/test-cluster.ts'

describe('BackupVerifier', function () {
  this.timeout(120_000)
  const { cluster, dirs } = useBackupCluster()

  it('should name the chunk a flipped byte damaged or a lost copy missing, put each back from a whole copy, and finish a backup when a holder is gone', async () => {
    const { nodes, service, jobs, holders } = await cluster()
    const a = nodes[0] as TestNode
    const written: Written = new Map()
    for (let i = 0; i < 10; i++) await post(nodes, written, `room/d${i}`, 40)
    expect((await finished(jobs, service.create())).state).to.equal('done')
    const [entry] = await service.list() as [BackupEntry]
    const manifest = await service.manifest(entry.id)
    // lose one chunk on some holder
    const lost = manifest.partitions[0]?.chunks[0]?.id as string
    const removedFrom: string[] = []
    for (const n of nodes) {
      if (removedFrom.length === 0 && await holderAt(a.system, n.id).remove([lost]) === 1) removedFrom.push(n.id)
    }
    expect(removedFrom).to.have.length(1)
    // and flip one byte in the body of another chunk the first holder keeps
    const held = await holderAt(a.system, nodes[0]?.id as string).list('', 10_000)
    const victim = manifest.partitions.flatMap((p) => p.chunks).find((c) => held.includes(c.id) && c.id !== lost) as { id: string }
    expect(await flipChunkByte(dirs[0]?.path as string, victim.id), 'the chunk found in a pack').to.equal(true)
    const mended = await finished(jobs, service.verify(entry.id, true))
    expect(mended.state, mended.error ?? '').to.equal('done')
    expect(mended.message).to.match(/cop(y|ies) of its \d+ chunks put back from whole ones/)
    const whys = mended.left.map((l) => `${l.item} ${l.why}`).join('\n')
    expect(whys).to.match(new RegExp(`${victim.id} [^\\n]*damaged[^\\n]*put back from`))
    expect(whys).to.include(`${lost} ${removedFrom[0]}: missing; put back from`)
    // checked again, every copy is whole: by challenges too
    const clean = await finished(jobs, service.verify(entry.id, false))
    expect(clean.state, clean.error ?? '').to.equal('done')
    expect(clean.left).to.deep.equal([])
    // a flipped byte in a copy this node does not read (it reads its own, the other holder is
    // challenged), and a copy lost there, found by the holder's own re-read (verify without --full)
    const b = nodes[1] as TestNode
    const heldByBoth = new Set((await holderAt(a.system, b.id).list('', 10_000)).filter((id) => held.includes(id)))
    const [victim2, lost2] = manifest.partitions.flatMap((p) => p.chunks).filter((c) => heldByBoth.has(c.id) && c.id !== victim.id && c.id !== lost) as unknown as [{ id: string }, { id: string }]
    expect(await flipChunkByte(dirs[1]?.path as string, victim2.id), 'the chunk found in a pack of the second holder').to.equal(true)
    const challenged = await finished(jobs, service.verify(entry.id, true))
    expect(challenged.left.map((l) => `${l.item} ${l.why}`)).to.deep.equal([`${victim2.id} ${b.id}: damaged (its store found its bytes changed); put back from ${a.id}`])
    expect(await holderAt(a.system, b.id).remove([lost2.id])).to.equal(1)
    const quick = await finished(jobs, service.verify(entry.id, false))
    expect(quick.left.map((l) => `${l.item} ${l.why}`)).to.deep.equal([`${lost2.id} ${b.id}: missing; put back from ${a.id}`])
    // a holder gone: the next backup puts its chunks on the two left
    const c = nodes[2] as TestNode
    await c.stop()
    holders.delete(c.id)
    await post(nodes.slice(0, 2), written, 'room/d3', 5)
    const after = await finished(jobs, service.create())
    expect(after.state, after.error ?? '').to.equal('done')
    const [, second] = await service.list() as [BackupEntry, BackupEntry]
    expect((await readBack(nodes.slice(0, 2), await service.manifest(second.id))).get('room/d3')).to.deep.equal(written.get('room/d3'))
  })
})
