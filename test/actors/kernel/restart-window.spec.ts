import { expect } from 'chai'
import fc from 'fast-check'
import { restartGroup, withRestart } from '../../../actors/kernel/restart-window.ts'

describe('restart window', () => {
  it('should count the restarts within the period, the new one included, and forget older ones', () => {
    let window: number[] = []
    for (const t of [0, 100, 200]) window = withRestart(window, t, 1_000)
    expect(window).to.deep.equal([0, 100, 200])
    expect(withRestart(window, 1_150, 1_000)).to.deep.equal([200, 1_150])
    // the window given is not changed: it is a value
    expect(window).to.deep.equal([0, 100, 200])
  })

  it('should never hold a restart older than the period', () => {
    fc.assert(fc.property(fc.array(fc.integer({ min: 0, max: 100 }), { maxLength: 50 }), fc.integer({ min: 1, max: 500 }), (gaps, period) => {
      let now = 0
      let window: number[] = []
      for (const gap of gaps) {
        now += gap
        window = withRestart(window, now, period)
        expect(window.every((t) => now - t <= period)).to.equal(true)
        expect(window.at(-1)).to.equal(now)
      }
    }))
  })

  it('should restart the failed child alone, all children, or it and those started after it, as OTP does', () => {
    const children = ['a', 'b', 'c', 'd']
    expect(restartGroup('one-for-one', children, 'b')).to.deep.equal(['b'])
    expect(restartGroup('one-for-all', children, 'b')).to.deep.equal(['a', 'b', 'c', 'd'])
    expect(restartGroup('rest-for-one', children, 'b')).to.deep.equal(['b', 'c', 'd'])
  })
})
