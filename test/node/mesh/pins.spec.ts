import { expect } from 'chai'
import { MAX_PINS } from '../../../node/mesh/membership.ts'
import { pinIdOf } from '../../../node/mesh/placement.ts'
import { PinTable } from '../../../node/mesh/pins.ts'

describe('PinTable', () => {
  it('should keep at most MAX_PINS pins on a node, and announce them as a stable map until they change', () => {
    const pins = new PinTable()
    for (let i = 0; i < MAX_PINS; i++) pins.pin('room', `r${i}`, 1)
    expect(() => pins.pin('room', 'one-more', 1)).to.throw(/already holds 512/).with.property('name', 'PinLimitError')
    pins.pin('room', 'r0', 2)   // a pin of an entity already pinned here is replaced, not added
    expect(pins.size).to.equal(MAX_PINS)
    const map = pins.map()
    expect(pins.map()).to.equal(map)
    expect(map.get(pinIdOf('room', 'r0'))).to.equal(2)
    expect(pins.unpin('room', 'r0')).to.equal(true)
    expect(pins.unpin('room', 'r0')).to.equal(false)
    expect(pins.map()).to.not.equal(map)
    expect(pins.record()).to.have.length(MAX_PINS - 1)
    expect(pinIdOf('room', 'r0')).to.match(/^[A-Za-z0-9_-]{16}$/)
  })

  it('should list pins oldest first, a replaced pin last, each with its id, number and time', () => {
    const pins = new PinTable()
    pins.pin('room', 'a', 1, 1_000)
    pins.pin('room', 'b', 3, 2_000)
    pins.pin('room', 'a', 4, 3_000)
    expect(pins.list()).to.deep.equal([
      { type: 'room', key: 'b', id: pinIdOf('room', 'b'), n: 3, at: 2_000 },
      { type: 'room', key: 'a', id: pinIdOf('room', 'a'), n: 4, at: 3_000 }
    ])
    expect(pins.get('room', 'a')?.n).to.equal(4)
    expect(pins.get('room', 'c')).to.equal(undefined)
    expect(pins.record()).to.deep.equal([[pinIdOf('room', 'b'), 3], [pinIdOf('room', 'a'), 4]])
  })

  it('should refuse a pin number that is not a whole number of at least 1', () => {
    const pins = new PinTable()
    for (const n of [0, -1, 1.5, Number.NaN]) expect(() => pins.pin('room', 'r', n), String(n)).to.throw(RangeError)
    expect(pins.size).to.equal(0)
  })
})
