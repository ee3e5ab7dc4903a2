import { expect } from 'chai'
import { Settling } from '../../../node/mesh/settling.ts'

const m = (peerId: string, status: string, settled?: boolean): { peerId: string, status: string, settled?: boolean } => ({ peerId, status, ...(settled !== undefined && { settled }) })

describe('Settling (no flapping)', () => {
  it('should count members heard before this node serves at once, and one that joins later only once it stayed up', () => {
    const s = new Settling(1_000)
    expect([...s.update([m('a', 'up'), m('b', 'suspect'), m('c', 'joining')], false, 0).settled]).to.deep.equal(['a', 'b'])
    const joined = s.update([m('a', 'up'), m('b', 'up'), m('d', 'up')], true, 10)
    expect([...joined.settled]).to.deep.equal(['a', 'b'])
    expect(joined.nextInMs).to.equal(1_000)
    expect([...s.update([m('a', 'up'), m('b', 'up'), m('d', 'up')], true, 1_010).settled]).to.deep.equal(['a', 'b', 'd'])
  })

  it('should make a member that flaps down and up wait again each time it comes back', () => {
    const s = new Settling(1_000)
    s.update([m('a', 'up')], false, 0)
    expect(s.update([m('a', 'down')], true, 100).settled.size).to.equal(0)
    expect(s.update([m('a', 'up')], true, 200).settled.size, 'back: not yet').to.equal(0)
    expect(s.update([m('a', 'down')], true, 700).settled.size).to.equal(0)
    expect(s.update([m('a', 'up')], true, 800).settled.size, 'back again: its wait starts over').to.equal(0)
    expect(s.update([m('a', 'up')], true, 1_700).settled.size).to.equal(0)
    expect([...s.update([m('a', 'suspect')], true, 1_800).settled], 'suspect is still up').to.deep.equal(['a'])
    // a draining member is no candidate, and a member no longer heard is forgotten
    expect(s.update([m('a', 'draining')], true, 1_900).settled.size).to.equal(0)
    expect(s.update([], true, 2_000).settled.size).to.equal(0)
  })

  it('should take members at once with no settle time, and refuse a negative one', () => {
    expect([...new Settling(0).update([m('a', 'up')], true, 5).settled]).to.deep.equal(['a'])
    expect(() => new Settling(-1)).to.throw(RangeError)
  })

  it('should count a member only once its record says it settled, a record that does not say counting as settled', () => {
    const s = new Settling(1_000)
    // heard before this node serves: the cluster it joins, as their records say
    expect([...s.update([m('a', 'up', true), m('b', 'up', false), m('c', 'up')], false, 0).settled]).to.deep.equal(['a', 'c'])
    expect([...s.update([m('a', 'up', true), m('b', 'up', true), m('c', 'up')], true, 10).settled], 'b says it settled').to.deep.equal(['a', 'b', 'c'])
    // one that joins later: up long enough here, and settled by its own record, both
    expect(s.update([m('d', 'up', true)], true, 20).settled.size, 'd just came up here').to.equal(0)
    expect(s.update([m('d', 'up', false)], true, 1_100).settled.size, 'd says it has not settled').to.equal(0)
    expect([...s.update([m('d', 'up', true)], true, 1_200).settled]).to.deep.equal(['d'])
  })
})
