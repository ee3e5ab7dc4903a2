import { expect } from 'chai'
import { createHash } from 'node:crypto'
import { BackupKey, CHUNK_HOLDER_PATH, ChunkStore, checkChunkHolderMsg, ciphertextDigest, holderAt, sealChunk, spawnChunkHolder } from '../../../node/backup/index.ts'
import type { ChunkHolderMsg } from '../../../node/backup/index.ts'
import { tempDir } from '../../helpers/temp-dir.ts'
import { thrown } from '../../helpers/thrown.ts'
import { useTestCluster } from '../../helpers/test-cluster.ts'
import type { TestNode } from '../../helpers/test-cluster.ts'

const key = new BackupKey(Buffer.alloc(32, 5))

function chunk (text: string): { id: string, digest: string, sealed: Buffer } {
  const plain = Buffer.from(text)
  const id = key.chunkId(plain)
  const sealed = sealChunk(key, id, plain)
  return { id, digest: ciphertextDigest(sealed), sealed }
}

describe('the backup chunk holder (real libp2p on loopback, a real pack-file store)', function () {
  this.timeout(60_000)
  const net = useTestCluster()
  let dir: { path: string, remove: () => Promise<void> }
  let store: ChunkStore

  beforeEach(async () => {
    dir = await tempDir()
    store = await ChunkStore.open(dir.path)
  })
  afterEach(async () => {
    await store.close()
    await dir.remove()
  })

  it('should store, serve, prove, list and forget sealed chunks for another node', async () => {
    const [a, b] = await net.of([['chat'], ['chat', 'backup']]) as [TestNode, TestNode]
    spawnChunkHolder(b.system, store)
    const holder = holderAt(a.system, b.id)
    const one = chunk('one')
    const two = chunk('two')
    expect(await holder.put([one, two])).to.deep.equal({ stored: 2, had: 0 })
    expect(await holder.put([one])).to.deep.equal({ stored: 0, had: 1 })
    expect(await holder.has([one.id, chunk('three').id])).to.deep.equal([true, false])
    expect(Buffer.from(await holder.get(one.id) as Uint8Array)).to.deep.equal(one.sealed)
    expect(await holder.get(chunk('three').id)).to.equal(null)
    const nonce = Buffer.alloc(32, 1)
    expect(await holder.challenge(two.id, nonce)).to.equal(createHash('sha256').update(nonce).update(two.sealed).digest('hex'))
    expect(await holder.list('', 10)).to.deep.equal([one.id, two.id].sort())
    // its own re-read: held and whole, held but not the copy of that digest, not held
    expect(await holder.check([{ id: one.id, digest: one.digest }, { id: two.id, digest: one.digest }, { id: chunk('three').id, digest: one.digest }])).to.deep.equal(['ok', 'damaged', 'missing'])
    expect(await holder.remove([one.id])).to.equal(1)
    expect(await holder.has([one.id, two.id])).to.deep.equal([false, true])
  })

  it('should refuse a chunk whose bytes do not match its digest, and malformed requests, storing nothing and never restarting', async () => {
    const [a, b] = await net.of([['chat'], ['chat', 'backup']]) as [TestNode, TestNode]
    spawnChunkHolder(b.system, store)
    const good = chunk('good')
    const bad = { ...chunk('bad'), digest: good.digest }
    const refused = await holderAt(a.system, b.id).put([good, bad]).then(() => undefined, (e: Error) => e)
    expect(refused?.message).to.match(/digest/)
    expect(await holderAt(a.system, b.id).has([good.id])).to.deep.equal([false])
    const raw = a.system.actorAt<ChunkHolderMsg>({ node: b.id, path: CHUNK_HOLDER_PATH })
    for (const msg of [{ type: 'chunk-get', id: 'xyz' }, { type: 'chunk-put', chunks: [] }, { type: 'chunk-list', after: '', limit: 0 }, { type: 'chunk-drop' }]) {
      const err = await raw.ask<unknown>((replyTo) => ({ ...msg, replyTo }) as never, { timeout: 5_000 }).then(() => null, (e: unknown) => e)
      expect(err, JSON.stringify(msg)).to.have.property('name', 'InvalidPeerRequestError')
    }
    expect(b.system.stats.restarts).to.equal(0)
    expect(await holderAt(a.system, b.id).put([good])).to.deep.equal({ stored: 1, had: 0 })
  })

  it('should check every field of a request before it reaches the store', () => {
    const replyTo = { askId: 'a1', node: 'n1' }
    const c = chunk('x')
    expect(checkChunkHolderMsg({ type: 'chunk-put', chunks: [c], replyTo }).type).to.equal('chunk-put')
    expect(checkChunkHolderMsg({ type: 'chunk-check', chunks: [{ id: c.id, digest: c.digest, extra: 1 }], replyTo })).to.deep.equal({ type: 'chunk-check', chunks: [{ id: c.id, digest: c.digest }], replyTo })
    const refusals: unknown[] = [
      null, { type: 'chunk-put', chunks: [c] }, { type: 'chunk-put', chunks: [{ ...c, id: 'A'.repeat(64) }], replyTo },
      { type: 'chunk-put', chunks: [{ ...c, sealed: 'text' }], replyTo }, { type: 'chunk-put', chunks: [c, c, c, c].map(() => ({ ...c, sealed: Buffer.alloc(1_048_576) })), replyTo },
      { type: 'chunk-has', ids: Array.from({ length: 10_001 }, () => c.id), replyTo }, { type: 'chunk-challenge', id: c.id, nonce: Buffer.alloc(8), replyTo },
      { type: 'chunk-list', after: 'nope', limit: 5, replyTo },
      { type: 'chunk-check', chunks: [], replyTo }, { type: 'chunk-check', chunks: [{ id: c.id }], replyTo },
      { type: 'chunk-check', chunks: Array.from({ length: 1_025 }, () => ({ id: c.id, digest: c.digest })), replyTo }
    ]
    for (const [i, msg] of refusals.entries()) expect(thrown(() => checkChunkHolderMsg(msg)).name, `case ${i}`).to.equal('InvalidPeerRequestError')
  })
})
