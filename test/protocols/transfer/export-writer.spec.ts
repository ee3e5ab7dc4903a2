import { expect } from 'chai'
import { ExportWriter } from '../../../protocols/index.ts'
import type { ExportHeader } from '../../../protocols/index.ts'

describe('ExportWriter', () => {
  const header: ExportHeader = { format: 'plexi-export/1', source: 's', kind: 'room', name: 'general', exportedAt: 0, from: 1, to: 2, floor: 1 }

  it('should write JSON that parses whole, one record a line, empty or not', () => {
    const empty = new ExportWriter('json')
    expect(JSON.parse(empty.header(header) + empty.end())).to.deep.equal({ ...header, records: [] })
    const w = new ExportWriter('json')
    const text = w.header(header) + w.record({ seq: 1, kind: 'join', user: 'a', ts: 1 }) + w.record({ seq: 2, kind: 'leave', user: 'a', ts: 2 }) + w.end()
    expect((JSON.parse(text) as { records: unknown[] }).records).to.have.length(2)
    expect(text.split('\n')).to.have.length(5)
    expect([w.records, w.contentType]).to.deep.equal([2, 'application/json'])
  })

  it('should write a record already made JSON as it writes the record, and refuse it in Markdown', () => {
    const record = { seq: 1, kind: 'join', user: 'a', ts: 1 } as const
    for (const format of ['json', 'ndjson'] as const) {
      const a = new ExportWriter(format)
      const b = new ExportWriter(format)
      expect(a.header(header) + a.line(JSON.stringify(record)) + a.line(JSON.stringify(record)) + a.end()).to.equal(b.header(header) + b.record(record) + b.record(record) + b.end())
    }
    expect(() => new ExportWriter('md').line('{}')).to.throw(RangeError)
  })

  it('should write NDJSON as a header line and a line per record', () => {
    const w = new ExportWriter('ndjson')
    const text = w.header(header) + w.record({ seq: 1, kind: 'join', user: 'a', ts: 1 }) + w.end()
    expect(text.trim().split('\n').map((l) => JSON.parse(l) as unknown)).to.deep.equal([header, { seq: 1, kind: 'join', user: 'a', ts: 1 }])
  })

  it('should write Markdown to read: each post with its author, time and seq, a redaction and a heading in a text shown as such', () => {
    const w = new ExportWriter('md')
    const text = w.header({ ...header, floor: 2, from: 2 }) +
      w.record({ seq: 2, kind: 'message', user: 'ann', ts: Date.UTC(2026, 0, 2, 3, 4, 5), text: '# title\nline two' }) +
      w.record({ seq: 3, kind: 'message', user: 'bob', ts: 0, redacted: true }) +
      w.record({ seq: 4, kind: 'message', user: 'carol', ts: 0, text: 'again', importedFrom: { source: 's', seq: 1, user: 'dan', ts: 0 } }) + w.end()
    expect(text).to.match(/^# Room general\n\nExported 1970-01-01 00:00:00, seqs 2 to 2 \(history before 2 is no longer kept\)/)
    expect(text).to.include('**ann** · 2026-01-02 03:04:05 · #2\n\n\\# title  \nline two\n\n')
    expect(text).to.include('**bob** · 1970-01-01 00:00:00 · #3\n\n_(redacted)_')
    expect(text).to.include('**carol** (imported: dan, 1970-01-01 00:00:00)')
    const none = new ExportWriter('md')
    expect(none.header(header) + none.end()).to.match(/_Nothing to export._\n$/)
  })
})
