import { expect } from 'chai'
import fc from 'fast-check'
import { InvalidMessageError, MAX_PACKAGE_CHUNKS, PACKAGE_CHUNK_BYTES, checkPluginPackageMsg, chunkCount, chunkLength } from '../../../actors/index.ts'
import { MAX_PACKAGE_BYTES } from '../../../protocols/plugins/index.ts'
import { onlyRefusals, refusalOf } from '../../helpers/message-check-tests.ts'

const replyTo = { askId: 'a1', node: 'n1' }
const SIZE = PACKAGE_CHUNK_BYTES + 10

describe('checkPluginPackageMsg', () => {
  const refusal = refusalOf(checkPluginPackageMsg, InvalidMessageError)

  it('should cut a package in chunks of PACKAGE_CHUNK_BYTES, the last one shorter', () => {
    expect([chunkCount(1), chunkCount(PACKAGE_CHUNK_BYTES), chunkCount(SIZE)]).to.deep.equal([1, 1, 2])
    expect([chunkLength(SIZE, 0), chunkLength(SIZE, 1)]).to.deep.equal([PACKAGE_CHUNK_BYTES, 10])
    expect(MAX_PACKAGE_CHUNKS * PACKAGE_CHUNK_BYTES).to.be.at.least(MAX_PACKAGE_BYTES)
  })

  it('should pass chunks that fit the package\'s size, and refuse the others', () => {
    const put = { type: 'put', index: 1, count: 2, size: SIZE, bytes: new Uint8Array(10), replyTo }
    expect(refusal(put)).to.equal('')
    expect(refusal({ ...put, index: 0 })).to.match(/bytes: expected 262144 bytes \(chunk 0 of a package of 262154\)/)
    expect(refusal({ ...put, index: 2 })).to.match(/index: expected an integer from 0 to 1/)
    expect(refusal({ ...put, count: 3 })).to.match(/count: expected 2 chunks for 262154 bytes/)
    expect(refusal({ ...put, size: MAX_PACKAGE_BYTES + 1 })).to.match(/size/)
    expect(refusal({ ...put, bytes: 'abc' })).to.match(/bytes: expected bytes/)
    expect(refusal({ type: 'seal', count: 2, size: SIZE, replyTo })).to.equal('')
    expect(refusal({ type: 'seal', count: 1, size: SIZE, replyTo })).to.match(/count/)
    expect(refusal({ type: 'read', index: 0, replyTo })).to.equal('')
    expect(refusal({ type: 'read', index: MAX_PACKAGE_CHUNKS, replyTo })).to.match(/index/)
    expect(refusal({ type: 'info', replyTo })).to.equal('')
    expect(refusal({ type: 'drop', replyTo })).to.equal('plugin package message: unknown type "drop"; expected one of put, seal, read, info')
  })

  it('should throw nothing but InvalidMessageError, whatever arrives', () => {
    const field = fc.oneof(fc.integer({ min: -2, max: 3 }), fc.constant(SIZE), fc.constant(null), fc.anything())
    const messages = fc.record({
      type: fc.constantFrom('put', 'seal', 'read', 'info', 'drop'),
      replyTo: fc.oneof(fc.constant(replyTo), fc.anything()),
      index: field,
      count: fc.oneof(fc.constant(2), field),
      size: fc.oneof(fc.constant(SIZE), field),
      bytes: fc.oneof(fc.constant(new Uint8Array(10)), fc.uint8Array({ maxLength: 12 }), field)
    }, { requiredKeys: ['type', 'replyTo'] })
    onlyRefusals(checkPluginPackageMsg, messages, { runs: 2_000, minPassed: 20, classes: [InvalidMessageError] })
  })
})
