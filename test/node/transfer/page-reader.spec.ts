import { expect } from 'chai'
import type { TransferPage } from '../../../actors/index.ts'
import { readPages } from '../../../node/transfer/index.ts'

describe('readPages', () => {
  /** A journal of `head` records from `floor`, whose owner cuts pages at `cut` records. */
  const journal = (head: number, cut: number, floor = 1, asked: Array<[number, number]> = []) => async (after: number, limit: number): Promise<TransferPage<number>> => {
    asked.push([after, limit])
    const from = Math.max(after + 1, floor)
    const records = Array.from({ length: Math.max(0, Math.min(limit, cut, head - from + 1)) }, (_, i) => ({ seq: from + i, event: from + i }))
    return { records, head, floor, redacted: records.filter((r) => r.seq % 10 === 0).map((r) => r.seq) }
  }
  const read = async (gen: AsyncGenerator<{ records: ReadonlyArray<{ seq: number }>, redacted: ReadonlySet<number> }>): Promise<number[]> => {
    const seqs: number[] = []
    for await (const slice of gen) seqs.push(...slice.records.map((r) => r.seq))
    return seqs
  }

  it('should yield every record in order, ranges asked ahead, pages cut short finished before the next range', async () => {
    const asked: Array<[number, number]> = []
    expect(await read(readPages(journal(47, 7, 1, asked), 0, 47, 10, 3))).to.deep.equal(Array.from({ length: 47 }, (_, i) => i + 1))
    expect(asked.slice(0, 3)).to.deep.equal([[0, 10], [10, 10], [20, 10]])
    expect(asked).to.deep.include([7, 3])
  })

  it('should start at the floor, and yield nothing past `to`', async () => {
    expect(await read(readPages(journal(30, 100, 12), 0, 25, 10, 2))).to.deep.equal(Array.from({ length: 14 }, (_, i) => i + 12))
  })

  it('should hand each slice the redacted seqs of its page', async () => {
    for await (const slice of readPages(journal(20, 100), 0, 20, 20, 1)) expect([...slice.redacted]).to.deep.equal([10, 20])
  })
})
