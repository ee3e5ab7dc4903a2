import { expect } from 'chai'
import { exportText } from '../../../node/transfer/index.ts'
import type { ExportStream } from '../../../node/transfer/index.ts'
import type { ExportRecord } from '../../../protocols/index.ts'

describe('exportText', () => {
  const stream = (n: number): ExportStream => ({
    header: { format: 'plexi-export/1', source: 's', kind: 'room', name: 'r', exportedAt: 0, from: 1, to: n, floor: 1 },
    records: (async function * (): AsyncGenerator<ExportRecord> { for (let i = 1; i <= n; i++) yield { seq: i, kind: 'join', user: 'a', ts: i } })(),
    progress: () => ({ done: 0, total: n })
  })

  it('should write many records a chunk, and the whole export once joined', async () => {
    const chunks: string[] = []
    for await (const chunk of exportText(stream(100), 'ndjson', 500)) chunks.push(chunk)
    expect(chunks.length).to.be.within(3, 20)
    expect(chunks.slice(0, -1).every((c) => c.length >= 500)).to.equal(true)
    expect(chunks.join('').trim().split('\n')).to.have.length(101)
  })

  it('should write an empty export as its header and end alone', async () => {
    const chunks: string[] = []
    for await (const chunk of exportText(stream(0), 'json')) chunks.push(chunk)
    expect(JSON.parse(chunks.join(''))).to.deep.include({ records: [] })
  })
})
