import { expect } from 'chai'
import { TriedEpochs } from '../../../../node/replication/journal/tried-epochs.ts'

describe('TriedEpochs', () => {
  it('should give the next take of an entity a floor above every epoch tried, and forget the entities taken longest ago past its bound', () => {
    const tried = new TriedEpochs(2)
    expect(tried.floor('a')).to.equal(1)
    tried.tried('a', 10)
    tried.tried('a', 7)
    expect(tried.floor('a'), 'a lower epoch tried later does not lower the floor').to.equal(11)
    tried.tried('b', 5)
    tried.tried('c', 5)
    expect(tried.size).to.equal(2)
    expect(tried.floor('a'), 'a was taken longest ago: forgotten').to.equal(1)
    expect([tried.floor('b'), tried.floor('c')]).to.deep.equal([6, 6])
  })
})
