import { expect } from 'chai'
import { DEFAULT_ALIGNMENT, GGML_TYPES, GGUF_MAGIC, VALUE_SIZES, VALUE_TYPES, alignUp, ggmlTypeById, tensorBytes } from '../../../runtimes/gguf/gguf-format.ts'

describe('gguf-format', () => {
  it('should spell "GGUF" in its magic, read little-endian', () => {
    const bytes = new Uint8Array(4)
    new DataView(bytes.buffer).setUint32(0, GGUF_MAGIC, true)
    expect(new TextDecoder().decode(bytes)).to.equal('GGUF')
    expect(DEFAULT_ALIGNMENT).to.equal(32)
  })

  it('should find each ggml type by its id, and no type for an id it does not know', () => {
    for (const [name, type] of Object.entries(GGML_TYPES)) expect(ggmlTypeById(type.id)).to.deep.equal({ name, blockSize: type.blockSize, blockBytes: type.blockBytes })
    expect(new Set(Object.values(GGML_TYPES).map((t) => t.id)).size).to.equal(Object.keys(GGML_TYPES).length)
    expect(ggmlTypeById(999)).to.equal(undefined)
  })

  it('should count a tensor\'s bytes in whole blocks', () => {
    expect(tensorBytes(GGML_TYPES.F16, 10)).to.equal(20)
    expect(tensorBytes(GGML_TYPES.TQ2_0, 512)).to.equal(132)
    expect(tensorBytes(GGML_TYPES.Q4_0, 64)).to.equal(36)
  })

  it('should round up to the alignment, leaving aligned numbers as they are', () => {
    expect([alignUp(0, 32), alignUp(1, 32), alignUp(32, 32), alignUp(33, 32)]).to.deep.equal([0, 32, 32, 64])
  })

  it('should know the size of every fixed-size value type, and none for strings and arrays', () => {
    for (const [name, id] of Object.entries(VALUE_TYPES)) {
      if (name === 'string' || name === 'array') expect(VALUE_SIZES[id], name).to.equal(undefined)
      else expect(VALUE_SIZES[id], name).to.be.oneOf([1, 2, 4, 8])
    }
  })
})
