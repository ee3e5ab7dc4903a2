import { expect } from 'chai'
import { readPages } from '../../../node/transfer/index.ts'
import type { ItemPage } from '../../../node/transfer/index.ts'

describe('readPages', () => {
  /** A journal of `head` records from `floor`, whose owner cuts pages at `cut` records. */
  const journal = (head: number, cut: number, floor = 1, asked: Array<[number, number]> = []) => async (after: number, limit: number): Promise<ItemPage<{ seq: number }>> => {
    asked.push([after, limit])
    const from = Math.max(after + 1, floor)
    const items = Array.from({ length: Math.max(0, Math.min(limit, cut, head - from + 1)) }, (_, i) => ({ seq: from + i }))
    return { items, head, floor }
  }
  const read = async (gen: AsyncGenerator<ReadonlyArray<{ seq: number }>>): Promise<number[]> => {
    const seqs: number[] = []
    for await (const items of gen) seqs.push(...items.map((r) => r.seq))
    return seqs
  }

  it('should yield every item in order, ranges asked ahead, pages cut short finished before the next range', async () => {
    const asked: Array<[number, number]> = []
    expect(await read(readPages(journal(47, 7, 1, asked), 0, 47, 10, 3))).to.deep.equal(Array.from({ length: 47 }, (_, i) => i + 1))
    expect(asked.slice(0, 3)).to.deep.equal([[0, 10], [10, 10], [20, 10]])
    expect(asked).to.deep.include([7, 3])
  })

  it('should start at the floor, and yield nothing past `to`', async () => {
    expect(await read(readPages(journal(30, 100, 12), 0, 25, 10, 2))).to.deep.equal(Array.from({ length: 14 }, (_, i) => i + 12))
  })

  it('should ask nothing more once its consumer stops', async () => {
    const asked: Array<[number, number]> = []
    for await (const items of readPages(journal(100, 100, 1, asked), 0, 100, 10, 2)) if (items.length > 0) break
    // the two asked first, and the one asked ahead as the first was taken
    expect(asked.length).to.equal(3)
  })
})
