import { expect } from 'chai'
import { adoptedPause, checkMigrationMsg, checkMoveResult } from '../../../node/migration/index.ts'

describe('migration protocol', () => {
  it('should check move results and requests field by field', () => {
    expect(() => checkMoveResult({ entity: 'room/r', from: 'a', to: 'b', outcome: 'teleported', pauseMs: 1 })).to.throw(/not a move result/)
    expect(() => checkMoveResult({ entity: 'room/r', from: 'a', to: 'b', outcome: 'moved', pauseMs: Number.NaN })).to.throw(/not a move result/)
    expect(() => checkMoveResult(null)).to.throw(/not a move result/)
    expect(checkMoveResult({ entity: 'room/r', from: 'a', to: 'b', outcome: 'cold', pauseMs: 3, why: 'busy' })).to.deep.equal({ entity: 'room/r', from: 'a', to: 'b', outcome: 'cold', pauseMs: 3, why: 'busy' })
    expect(() => checkMigrationMsg('adopt')).to.throw(/an object/)
    // an adopt's answer: the pause measured, or nothing to take from it (the move stands)
    expect(adoptedPause({ pauseMs: 4.5 })).to.equal(4.5)
    expect(adoptedPause('ok')).to.equal(undefined)
    expect(adoptedPause({ pauseMs: -1 })).to.equal(undefined)
    expect(adoptedPause(null)).to.equal(undefined)
    expect(() => checkMigrationMsg({ type: 'claim', entityType: 'room', key: 'r', to: 'b' })).to.throw(/reply address/)
  })
})
