import { expect } from 'chai'
import { MOVE_LIMIT_IDLE_MS, MoveLimit } from '../../../node/migration/index.ts'

describe('MoveLimit', () => {
  it('should start at one move at once (or its initial limit), never above max nor below 1', () => {
    // one at a time at first: the first moves may go to a member whose code is still cold
    expect(new MoveLimit(64).current(0)).to.equal(1)
    expect(new MoveLimit(2, { initial: 4 }).current(0)).to.equal(2)
    expect(new MoveLimit(8, { initial: 0 }).current(0)).to.equal(1)
    expect(() => new MoveLimit(0)).to.throw(RangeError)
    expect(() => new MoveLimit(1.5)).to.throw(RangeError)
  })

  it('should grow by one for each move well under the target, up to max', () => {
    const limit = new MoveLimit(10, { targetMs: 20, initial: 4 })
    for (let i = 0; i < 3; i++) limit.observe(5, 0, 100)
    expect(limit.current(100)).to.equal(7)
    for (let i = 0; i < 20; i++) limit.observe(5, 0, 100)
    expect(limit.current(100)).to.equal(10)
  })

  it('should grow by about one a round while moves stay under the target but not well under it', () => {
    const limit = new MoveLimit(64, { targetMs: 20, initial: 8 })
    // eight moves of a round of eight, each at 15 ms: one more at once
    for (let i = 0; i < 8; i++) limit.observe(15, 0, 100)
    expect(limit.current(100)).to.equal(8)
    limit.observe(15, 0, 100)
    expect(limit.current(100)).to.equal(9)
  })

  it('should halve once a move takes longer than the target, once for the moves that began before the cut', () => {
    const limit = new MoveLimit(64, { targetMs: 20, initial: 16 })
    limit.observe(45, 10, 100)
    expect(limit.current(100)).to.equal(8)
    // more slow moves of the same round (they began before the cut at 100): no second cut
    limit.observe(60, 50, 101)
    limit.observe(60, 99, 102)
    expect(limit.current(102)).to.equal(8)
    // a slow move that began after the cut halves it again, and never below 1
    limit.observe(60, 150, 200)
    expect(limit.current(200)).to.equal(4)
    for (let t = 300; t < 1000; t += 100) limit.observe(60, t, t + 50)
    expect(limit.current(1000)).to.equal(1)
  })

  it('should start again from its initial limit after a while without a move', () => {
    const limit = new MoveLimit(64, { targetMs: 20 })
    for (let i = 0; i < 10; i++) limit.observe(2, 0, 1_000)
    expect(limit.current(1_000)).to.equal(11)
    expect(limit.current(1_000 + MOVE_LIMIT_IDLE_MS)).to.equal(11)
    expect(limit.current(1_001 + MOVE_LIMIT_IDLE_MS)).to.equal(1)
  })
})
