import { expect } from 'chai'
import { pushTo } from '../../../node/backup/push-to.ts'

describe('pushTo', () => {
  it('should make a list for a new key and append to it in place for a known one', () => {
    const byHolder = new Map<string, number[]>()
    pushTo(byHolder, 'n1', 1)
    const list = byHolder.get('n1')
    pushTo(byHolder, 'n1', 2)
    pushTo(byHolder, 'n2', 3)
    expect([...byHolder]).to.deep.equal([['n1', [1, 2]], ['n2', [3]]])
    expect(byHolder.get('n1')).to.equal(list)
  })
})
