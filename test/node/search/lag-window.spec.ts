import { expect } from 'chai'
import { LAG_SAMPLES, LagWindow } from '../../../node/search/lag-window.ts'

describe('LagWindow', () => {
  it('should give quantiles of the last samples, and count and max since start', () => {
    const w = new LagWindow()
    expect(w.quantile(0.99)).to.equal(0)
    for (let i = 1; i <= 100; i++) w.add(i)
    expect(w.quantile(0.5)).to.equal(51)
    expect(w.quantile(0.99)).to.equal(100)
    for (let i = 0; i < LAG_SAMPLES; i++) w.add(1)
    expect(w.quantile(0.99), 'old samples left the window').to.equal(1)
    expect(w.max).to.equal(100)
    expect(w.count).to.equal(100 + LAG_SAMPLES)
    expect(w.last).to.equal(1)
  })
})
