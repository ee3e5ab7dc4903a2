import { expect } from 'chai'
import { EmbedQueue } from '../../../node/search/index.ts'

describe('EmbedQueue', () => {
  it('should embed rows a batch at a time, cut to the embedder\'s length, and hand the vectors on', async () => {
    const batches: string[][] = []
    const stored: number[] = []
    const queue = new EmbedQueue({
      embedder: { dimensions: 1, embed: async (texts) => { batches.push([...texts]); return texts.map((t) => Float32Array.from([t.length])) } },
      store: async (ids) => { stored.push(...ids) }
    })
    queue.add(Array.from({ length: 40 }, (_, i) => ({ id: i + 1, text: i === 0 ? 'x'.repeat(5_000) : `post ${i}` })))
    await queue.drain()
    expect(batches.map((b) => b.length)).to.deep.equal([32, 8])
    expect(batches[0]?.[0]).to.have.length(2_000)
    expect(stored).to.have.length(40)
    expect(queue.stats).to.deep.equal({ embedded: 40, skipped: 0, failed: 0 })
  })

  it('should skip rows past its bound and count a failed batch, and go on', async () => {
    let fail = true
    const errors: unknown[] = []
    const queue = new EmbedQueue({
      embedder: { dimensions: 1, embed: async (texts) => { if (fail) { fail = false; throw new Error('model busy') } return texts.map(() => Float32Array.from([1])) } },
      store: async () => undefined,
      onError: (err) => { errors.push(err) },
      max: 40
    })
    queue.add(Array.from({ length: 50 }, (_, i) => ({ id: i, text: 't' })))
    await queue.drain()
    expect(queue.stats).to.deep.equal({ embedded: 8, skipped: 10, failed: 32 })
    expect(errors).to.have.length(1)
  })
})
