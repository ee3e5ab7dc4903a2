import { expect } from 'chai'
import { SoonestTimer } from '../../../node/mesh/soonest-timer.ts'

describe('SoonestTimer', () => {
  it('should fire at the soonest time asked for: a sooner one brings a later one forward, a later one is left to the sooner', async () => {
    let fired = 0
    let woke: () => void = () => undefined
    const timer = new SoonestTimer(() => { fired++; woke() })
    const next = (): Promise<void> => new Promise((resolve) => { woke = resolve })
    // a firing an hour away, then one at once: the one at once is not held for the hour
    timer.in(3_600_000)
    let firing = next()
    timer.in(0)
    timer.in(3_600_000)
    await firing
    expect(fired).to.equal(1)
    expect(timer.pending, 'one firing for all three').to.equal(false)
    // cleared, it does not fire; asked again, it does
    timer.in(0)
    timer.clear()
    expect(timer.pending).to.equal(false)
    firing = next()
    timer.in(1)
    await firing
    expect(fired).to.equal(2)
  })
})
