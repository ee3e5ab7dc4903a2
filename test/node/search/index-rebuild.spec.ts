import { expect } from 'chai'
import { IndexRebuild } from '../../../node/search/index.ts'
import type { IndexOps, RecordLike } from '../../../node/search/index.ts'

describe('IndexRebuild', () => {
  const entities: Record<number, string[]> = { 0: ['agent/ann', 'room/a', 'users/x'], 1: ['room/b'] }
  const records: Record<string, RecordLike[]> = {
    'room/a': Array.from({ length: 2_500 }, (_, i) => ({ seq: i + 1, event: { type: 'message-posted', user: 'ann', text: `post ${i + 1}`, ts: i } })),
    'room/b': [{ seq: 1, event: { type: 'message-posted', user: 'bob', text: 'secret', ts: 1 } }, { seq: 2, event: { type: 'message-redacted', seq: 1, by: 'bob', ts: 2 } }],
    'agent/ann': [{ seq: 1, event: { type: 'user-asked', requestId: 'r', text: 'hello', ts: 1 } }],
    'users/x': [{ seq: 1, event: { type: 'message-posted', user: 'x', text: 'never read', ts: 1 } }]
  }
  const source = {
    partitions: 2,
    entitiesOfPartition: async (p: number, after: string, limit: number) => (entities[p] ?? []).filter((e) => e > after).slice(0, limit),
    storedRecords: async (e: string, from: number, limit: number) => (records[e] ?? []).filter((r) => r.seq >= from).slice(0, limit)
  }

  it('should read every room and agent of every partition, in batches, skipping what the feed changed meanwhile', async () => {
    const applied: IndexOps[] = []
    const progress: number[] = []
    const read: string[] = []
    const rebuild = new IndexRebuild({
      source: { ...source, storedRecords: async (e, f, l) => { read.push(e); return await source.storedRecords(e, f, l) } },
      apply: async (ops) => { applied.push(ops); return ops.put.map((r, i) => ({ id: i, text: r.text })) },
      skip: (entity, seq) => entity === 'room/a' && seq === 7,
      onProgress: (p) => { progress.push(p.done) }
    })
    const { rows } = await rebuild.run()
    expect(read).to.not.include('users/x')
    const puts = applied.flatMap((o) => o.put)
    expect(puts.map((r) => `${r.entity}#${r.seq}`)).to.not.include('room/a#7')
    expect(rows).to.equal(2_500 - 1 + 1 + 1)
    expect(applied.flatMap((o) => o.redact)).to.deep.equal([['room/b', 1]])
    expect(applied.every((o) => o.remove.length === 0)).to.equal(true)
    expect(progress).to.deep.equal([1, 2])
  })

  it('should stop when aborted', async () => {
    const controller = new AbortController()
    controller.abort()
    const err = await new IndexRebuild({ source, apply: async () => [], signal: controller.signal }).run().then(() => undefined, (e: Error) => e)
    expect(err?.name).to.equal('AbortError')
  })
})
