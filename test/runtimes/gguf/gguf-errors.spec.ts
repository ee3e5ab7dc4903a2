import { expect } from 'chai'
import { errorData, kindOf } from '../../../protocols/index.ts'
import { GgufFormatError } from '../../../runtimes/gguf/gguf-errors.ts'

describe('GgufFormatError', () => {
  it('should name the file and say why it is refused, as an invalid request', () => {
    const err = new GgufFormatError('/models/x.gguf', 'tensor t is missing')
    expect(err).to.be.instanceOf(Error)
    expect(err.name).to.equal('GgufFormatError')
    expect(err.path).to.equal('/models/x.gguf')
    expect(err.message).to.equal('/models/x.gguf is not a usable GGUF model: tensor t is missing')
    expect(kindOf(err)).to.equal('invalid')
    expect(errorData(err)).to.deep.include({ name: 'GgufFormatError', kind: 'invalid', fields: { path: '/models/x.gguf' } })
  })
})
