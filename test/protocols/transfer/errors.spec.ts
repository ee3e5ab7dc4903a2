import { expect } from 'chai'
import { ExportKindError, ExportRecordError, kindOf } from '../../../protocols/index.ts'

describe('transfer errors', () => {
  it('should name the record (the header as 0) and the field, and be refusals', () => {
    const header = new ExportRecordError(0, 'format', 'expected "plexi-export/1"')
    expect([header.name, header.message, kindOf(header)]).to.deep.equal(['ExportRecordError', 'header: format: expected "plexi-export/1"; nothing was imported', 'invalid'])
    const record = new ExportRecordError(12, 'text', 'expected text')
    expect([record.record, record.field, record.message]).to.deep.equal([12, 'text', 'record 12: text: expected text; nothing was imported'])
    expect(kindOf(new ExportKindError('no'))).to.equal('invalid')
  })
})
