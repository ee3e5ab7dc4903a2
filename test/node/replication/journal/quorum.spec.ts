import { expect } from 'chai'
import { fenceQuorum, majority } from '../../../../node/replication/journal/quorum.ts'

describe('quorum', () => {
  it('should make every fence quorum meet every write quorum and every other fence quorum, for R up to 7', () => {
    for (let r = 1; r <= 7; r++) {
      expect(majority(r), `R=${r}`).to.equal(Math.floor(r / 2) + 1)
      for (let w = 1; w <= r; w++) {
        const f = fenceQuorum(r, w)
        expect(w + f, `R=${r} W=${w}: an acknowledged write is on a replica of every fence quorum`).to.be.above(r)
        expect(f + f, `R=${r} W=${w}: two owners never hold one epoch`).to.be.above(r)
        expect(f, `R=${r} W=${w}`).to.be.at.most(r)
      }
    }
    expect(fenceQuorum(3, 2)).to.equal(2)
    expect(fenceQuorum(3, 1)).to.equal(3)
    expect(fenceQuorum(5, 5)).to.equal(3)
  })
})
