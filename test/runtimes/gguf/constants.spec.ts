import { expect } from 'chai'
import { GGUF_READ_LIMITS } from '../../../runtimes/gguf/constants.ts'
import { tinyModelSpec } from '../../../runtimes/gguf/index.ts'

describe('gguf constants', () => {
  it('should let a real model\'s header through with room to spare (the 25m test model: keys, tensors, tokens, dimensions)', () => {
    const { spec } = tinyModelSpec({ size: '25m' })
    expect(spec.metadata.length * 100).to.be.at.most(GGUF_READ_LIMITS.keys)
    expect(spec.tensors.length * 100).to.be.at.most(GGUF_READ_LIMITS.tensors)
    // a 150k-token vocabulary, as the largest real ones
    expect(150_000).to.be.at.most(GGUF_READ_LIMITS.arrayLength)
    expect(Math.max(...spec.tensors.map((t) => t.dims.length))).to.be.at.most(GGUF_READ_LIMITS.dims)
    expect(GGUF_READ_LIMITS.dims).to.equal(4)
  })

  it('should bound a header to what a process may hold without harm', () => {
    expect(GGUF_READ_LIMITS.headerBytes).to.be.at.most(1 << 30)
    expect(GGUF_READ_LIMITS.stringBytes).to.be.at.most(GGUF_READ_LIMITS.headerBytes)
  })
})
