import { expect } from 'chai'
import { itemsAfter, withWatermark } from '../../../actors/entities/transfer-protocol.ts'

describe('transfer-protocol', () => {
  const items = [3, 5, 9].map((seq) => ({ seq }))

  it('should keep the items of a batch past the watermark and count the rest as skipped', () => {
    expect(itemsAfter(items, 0)).to.deep.equal({ fresh: items, skipped: 0 })
    expect(itemsAfter(items, 5)).to.deep.equal({ fresh: [{ seq: 9 }], skipped: 2 })
    expect(itemsAfter(items, 9)).to.deep.equal({ fresh: [], skipped: 3 })
  })

  it('should only raise a watermark, and take a source named like an object property as a name', () => {
    expect(withWatermark(undefined, 's', 4)).to.deep.equal({ s: 4 })
    const marks = withWatermark({ s: 4 }, 's', 2)
    expect(marks).to.deep.equal({ s: 4 })
    expect(withWatermark(marks, 'constructor', 1)).to.deep.equal({ s: 4, constructor: 1 })
    expect(withWatermark({}, '__proto__', 7)['__proto__']).to.equal(7)
  })
})
