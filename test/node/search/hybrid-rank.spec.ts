import { expect } from 'chai'
import { reciprocalRankFusion } from '../../../node/search/index.ts'

describe('reciprocalRankFusion', () => {
  it('should rank an id found by both lists above ids found by one, and keep order on ties', () => {
    const fused = reciprocalRankFusion([[1, 2, 3], [4, 2, 5]], 60)
    expect(fused.map((f) => f.id)).to.deep.equal([2, 1, 4, 3, 5])
    expect(fused[0]?.score).to.be.closeTo(2 / 62, 1e-12)
    expect(fused[1]?.score).to.be.closeTo(1 / 61, 1e-12)
  })
})
