import { expect } from 'chai'
import { randomBytes } from 'node:crypto'
import type { BackupEntry } from '../../../actors/index.ts'
import { BackupService, ciphertextDigest, holderAt, sealChunk } from '../../../node/backup/index.ts'
import { Uploader } from '../../../node/backup/uploader.ts'
import { backupKey, finished, post, readBack, useBackupCluster } from '../../helpers/backup-cluster.ts'
import type { Written } from '../../helpers/backup-cluster.ts'
import type { TestNode } from '../../helpers/test-cluster.ts'
import { rejection } from '../../helpers/thrown.ts'

const key = backupKey

function sealedChunk (): { id: string, digest: string, sealed: Uint8Array } {
  const plain = randomBytes(1_000)
  const id = key.chunkId(plain)
  const sealed = sealChunk(key, id, plain)
  return { id, digest: ciphertextDigest(sealed), sealed }
}

describe('Uploader', function () {
  this.timeout(120_000)
  const { cluster } = useBackupCluster()

  it('should put the chunks of a holder whose every put fails on the others, and complete', async () => {
    const { nodes, jobs, holders, options } = await cluster()
    const [a, , c] = nodes as [TestNode, TestNode, TestNode]
    const written: Written = new Map()
    for (let i = 0; i < 40; i++) await post(nodes, written, `room/f${i}`, 40)
    let refused = 0
    const service = new BackupService({
      ...options,
      holder: (node) => {
        const real = holderAt(a.system, node)
        return node !== c.id ? real : { ...real, put: async () => { refused++; throw new Error('disk full') } }
      }
    })
    const job = await finished(jobs, service.create())
    expect(job.state, job.error ?? '').to.equal('done')
    expect(refused).to.be.greaterThan(0)
    // c took nothing; with it out of the holders, every chunk is whole on the two left
    holders.delete(c.id)
    const [entry] = await service.list() as [BackupEntry]
    const check = await finished(jobs, service.verify(entry.id, true))
    expect([check.state, check.left]).to.deep.equal(['done', []])
    const back = await readBack(nodes.slice(0, 2), await service.manifest(entry.id))
    for (const [entity, records] of written) expect(back.get(entity), entity).to.deep.equal(records)
  })

  it('should count a chunk acknowledged once every copy is, put a blob on `copies` holders now, and fail once every holder failed', async () => {
    const { nodes, options } = await cluster()
    const a = nodes[0] as TestNode
    let acks = 0
    const uploader = new Uploader(options, new AbortController().signal, (node) => holderAt(a.system, node), () => { acks++ })
    const chunk = sealedChunk()
    expect(uploader.acked(chunk.id), 'never added').to.equal(true)
    await uploader.add(chunk)
    expect(uploader.acked(chunk.id)).to.equal(false)
    await uploader.flush()
    expect([uploader.acked(chunk.id), acks]).to.deep.equal([true, 2])
    const took = await uploader.putNow(sealedChunk())
    expect(took).to.have.length(2)
    const failing = new Uploader(options, new AbortController().signal, (node) => ({ ...holderAt(a.system, node), put: async () => { throw new Error('disk full') } }), () => undefined)
    await failing.add(sealedChunk())
    expect((await rejection(async () => await failing.flush())).message).to.equal('every backup holder failed this backup')
    expect((await rejection(async () => await failing.putNow(sealedChunk()))).name).to.equal('BackupHolderError')
  })
})
