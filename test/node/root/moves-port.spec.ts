import { expect } from 'chai'
import { MovesPort } from '../../../node/root/index.ts'

describe('MovesPort', () => {
  it('should move nothing until the migration part binds it, then pass the trigger through', () => {
    const port = new MovesPort()
    expect(port.moveAway('rebalance')).to.equal(0)
    const asked: string[] = []
    port.bind({ moveAway: (trigger) => { asked.push(trigger); return 3 } })
    expect(port.moveAway('drain')).to.equal(3)
    expect(asked).to.deep.equal(['drain'])
    expect(() => { port.bind({ moveAway: () => 0 }) }).to.throw('bound already')
  })
})
