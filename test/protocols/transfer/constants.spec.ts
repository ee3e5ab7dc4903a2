import { expect } from 'chai'
import { MAX_IMPORTED_AUTHOR_LENGTH, MAX_IMPORT_SOURCE_LENGTH } from '../../../actors/index.ts'
import { EXPORT_FORMAT, EXPORT_FORMATS, MAX_CHAT_TEXT_BYTES, MAX_EXPORT_LINE_CHARS, MAX_RECORD_USER_LENGTH, MAX_SOURCE_LENGTH } from '../../../protocols/index.ts'

describe('transfer constants', () => {
  it('should hold what rooms and agents take: a source and an author as long as theirs, a line long enough for the longest post', () => {
    expect(EXPORT_FORMAT).to.equal('plexi-export/1')
    expect(EXPORT_FORMATS).to.deep.equal(['json', 'ndjson', 'md'])
    expect(MAX_SOURCE_LENGTH).to.equal(MAX_IMPORT_SOURCE_LENGTH)
    expect(MAX_RECORD_USER_LENGTH).to.equal(MAX_IMPORTED_AUTHOR_LENGTH)
    // a post of MAX_CHAT_TEXT_BYTES of control characters, each escaped \u00XX, fits a line
    expect(MAX_EXPORT_LINE_CHARS).to.be.above(MAX_CHAT_TEXT_BYTES * 6 + 1024)
  })
})
