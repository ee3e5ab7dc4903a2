import { expect } from 'chai'
import { FairQueue } from '../../runtimes/fair-queue.ts'

describe('FairQueue', () => {
  it('should serve users round-robin and each user first in, first out', () => {
    const q = new FairQueue<string>()
    for (const item of ['a1', 'a2', 'a3']) q.push('a', item)
    q.push('b', 'b1')
    q.push('c', 'c1')
    q.push('b', 'b2')
    expect(q.order()).to.deep.equal(['a1', 'b1', 'c1', 'a2', 'b2', 'a3'])
    const served: string[] = []
    for (let item = q.shift(); item !== undefined; item = q.shift()) served.push(item)
    expect(served).to.deep.equal(['a1', 'b1', 'c1', 'a2', 'b2', 'a3'])
    expect(q.length).to.equal(0)
  })

  it('should put a user who comes back after being served behind those already waiting', () => {
    const q = new FairQueue<string>()
    q.push('a', 'a1')
    q.push('b', 'b1')
    expect(q.shift()).to.equal('a1')
    q.push('a', 'a2')
    q.push('c', 'c1')
    expect(q.order()).to.deep.equal(['b1', 'a2', 'c1'])
  })

  it('should take an item out wherever it waits and forget a user with nothing left', () => {
    const q = new FairQueue<string>()
    q.push('a', 'a1')
    q.push('b', 'b1')
    q.push('a', 'a2')
    expect(q.remove('b1')).to.equal(true)
    expect(q.remove('b1')).to.equal(false)
    expect(q.length).to.equal(2)
    expect(q.order()).to.deep.equal(['a1', 'a2'])
    expect(q.drain()).to.deep.equal(['a1', 'a2'])
    expect(q.shift()).to.equal(undefined)
  })
})
