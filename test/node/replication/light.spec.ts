import { expect } from 'chai'
import * as full from '../../../node/replication/index.ts'
import * as light from '../../../node/replication/light.ts'

describe('node/replication/light.ts', () => {
  it('should give the same record key as the folder\'s index', () => {
    expect(light.recordKey).to.equal(full.recordKey)
    expect(light.recordKey(3, 'room/a', 17)).to.equal('r\x000003\x00room/a\x000000000000000011')
  })
})
