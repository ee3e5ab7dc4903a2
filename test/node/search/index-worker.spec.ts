import { expect } from 'chai'
import { Worker } from 'node:worker_threads'
import type { IndexThreadReply } from '../../../node/search/index-thread.ts'

describe('index worker', () => {
  it('should refuse a request before an index is open, as error data, and answer ops once one is', async () => {
    const worker = new Worker(new URL('../../../node/search/index-worker.ts', import.meta.url))
    const ask = async (id: number, req: unknown): Promise<IndexThreadReply> => await new Promise((resolve) => {
      const on = (reply: IndexThreadReply): void => { if (reply.id === id) { worker.off('message', on); resolve(reply) } }
      worker.on('message', on)
      worker.postMessage({ id, req })
    })
    try {
      const early = await ask(1, { op: 'stats' })
      expect(early).to.have.nested.property('err.message', 'the index thread was asked before it opened an index')
      expect(await ask(2, { op: 'open', opts: { dbPath: ':memory:' } })).to.deep.include({ id: 2 })
      expect(await ask(3, { op: 'stats' })).to.deep.include({ value: { rows: 0, bytes: (await ask(4, { op: 'stats' }) as { value: { bytes: number } }).value.bytes, vectors: 0 } })
    } finally {
      await worker.terminate()
    }
  })
})
