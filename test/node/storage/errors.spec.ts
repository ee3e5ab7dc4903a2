import { expect } from 'chai'
import { CorruptRecordError, StoreClosedError, StoreFormatError, StoreLockedError, printable } from '../../../node/storage/errors.ts'

describe('storage errors', () => {
  it('should name each failure with its kind, and show keys readably', () => {
    const corrupt = new CorruptRecordError('r\x00room/a\x001', 'SHA-256 does not match the content')
    expect(corrupt).to.include({ name: 'CorruptRecordError', kind: 'internal', key: 'r\x00room/a\x001' })
    expect(corrupt.message).to.equal('corrupt record at "r|room/a|1": SHA-256 does not match the content')
    expect(new StoreClosedError()).to.include({ name: 'StoreClosedError', kind: 'unavailable', message: 'the store is closed' })
    expect(new StoreFormatError('x')).to.include({ name: 'StoreFormatError', kind: 'internal' })
    const locked = new StoreLockedError('/data', new Error('LOCK'))
    expect(locked).to.include({ name: 'StoreLockedError', kind: 'unavailable' })
    expect(locked.message).to.match(/^the data dir \/data is in use by another process/)
    expect((locked.cause as Error).message).to.equal('LOCK')
    expect(printable('a\x00b')).to.equal('"a|b"')
  })
})
