import { expect } from 'chai'
import fc from 'fast-check'
import { TERNARY_BLOCK, TQ1_0_BYTES, TQ2_0_BYTES, packTq1, packTq2, unpackTq1, unpackTq2 } from '../../../runtimes/gguf/ternary.ts'

describe('ternary', () => {
  it('should encode the same weights in TQ2_0 and TQ1_0, both decoding exactly to trit × fp16 scale', () => {
    fc.assert(fc.property(fc.array(fc.integer({ min: -1, max: 1 }), { minLength: 256, maxLength: 256 }), fc.double({ min: 1e-3, max: 4, noNaN: true }), (values, d) => {
      const trits = Int8Array.from(values)
      const tq2 = new Uint8Array(66)
      const tq1 = new Uint8Array(54)
      packTq2(trits, d, tq2, 0)
      packTq1(trits, d, tq1, 0)
      const scale = new Float16Array([d])[0] as number
      const expected = Array.from(trits, (t) => t * scale)
      expect(Array.from(unpackTq2(tq2))).to.deep.equal(expected)
      expect(Array.from(unpackTq1(tq1))).to.deep.equal(expected)
    }), { numRuns: 200, seed: 20261122 })
  })

  it('should pack a block of 256 weights into 66 bytes (TQ2_0) and 54 (TQ1_0), at the offset given', () => {
    expect([TERNARY_BLOCK, TQ2_0_BYTES, TQ1_0_BYTES]).to.deep.equal([256, 66, 54])
    const trits = Int8Array.from({ length: TERNARY_BLOCK }, (_, i) => (i % 3) - 1)
    // the block's own bytes start zeroed (as the writer's are); those around it must stay as they are
    const out = new Uint8Array(3 * TQ2_0_BYTES).fill(0xee, 0, TQ2_0_BYTES).fill(0xee, 2 * TQ2_0_BYTES)
    packTq2(trits, 0.5, out, TQ2_0_BYTES)
    expect(Array.from(out.subarray(0, TQ2_0_BYTES)).every((b) => b === 0xee), 'bytes before it untouched').to.equal(true)
    expect(Array.from(out.subarray(2 * TQ2_0_BYTES)).every((b) => b === 0xee), 'bytes after it untouched').to.equal(true)
    expect(Array.from(unpackTq2(out.subarray(TQ2_0_BYTES, 2 * TQ2_0_BYTES)))).to.deep.equal(Array.from(trits, (t) => t * 0.5))
  })
})
