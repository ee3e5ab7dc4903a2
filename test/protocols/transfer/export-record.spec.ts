import { expect } from 'chai'
import { ExportReader, ExportWriter } from '../../../protocols/index.ts'
import type { ExportHeader, RoomRecord } from '../../../protocols/index.ts'

describe('export-record', () => {
  it('should carry a room record with every field through the writer and the reader unchanged (lossless)', () => {
    const header: ExportHeader = { format: 'plexi-export/1', source: 'c/room/r/1', kind: 'room', name: 'r', exportedAt: 5, from: 1, to: 3, floor: 1 }
    const records: RoomRecord[] = [
      { seq: 1, kind: 'message', user: 'ann', ts: 10, text: 'hi "there"\nsecond line', clientId: 'c-1', importedFrom: { source: 'x', seq: 9, user: 'bob', ts: 2 } },
      { seq: 2, kind: 'message', user: 'bob', ts: 11, redacted: true },
      { seq: 3, kind: 'redaction', user: 'bob', ts: 12, redacts: 2 }
    ]
    for (const format of ['json', 'ndjson'] as const) {
      const writer = new ExportWriter(format)
      const text = writer.header(header) + records.map((r) => writer.record(r)).join('') + writer.end()
      const reader = new ExportReader()
      const read = text.split('\n').map((l) => reader.line(l)).filter((r) => r !== undefined)
      expect(reader.end()).to.deep.equal(header)
      expect(read, format).to.deep.equal(records)
    }
  })
})
