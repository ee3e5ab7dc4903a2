import { expect } from 'chai'
import * as inference from '../../../node/inference/errors.ts'
import { WireErrors } from '../../../node/mesh/index.ts'
import { kindOf } from '../../../protocols/index.ts'

const samples: Error[] = [
  new inference.NoModelError('no usable model'),
  new inference.KvCacheTransferError('refused'),
  new inference.ModelNotWarmError('no free slot')
]

describe('inference errors', () => {
  it('should have a sample here of every error class inference exports, each named after its class, each unavailable', () => {
    const classes = Object.values(inference).filter((v) => typeof v === 'function' && (v as { prototype: unknown }).prototype instanceof Error)
    expect(samples.map((e) => e.constructor)).to.have.members(classes)
    for (const err of samples) {
      expect(err.name).to.equal(err.constructor.name)
      expect(kindOf(err), err.name).to.equal('unavailable')
    }
  })

  it('should cross the wire as themselves once the inference folder\'s errors are handed in', () => {
    const wire = new WireErrors([inference])
    for (const err of samples) {
      const back = wire.fromWire(wire.toWire(err), 'p2')
      expect(back, err.name).to.be.instanceOf(err.constructor as new (...args: never[]) => Error)
      expect(back.message).to.equal(err.message)
    }
  })
})
