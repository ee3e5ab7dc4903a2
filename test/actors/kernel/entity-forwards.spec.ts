import { expect } from 'chai'
import { waitFor } from '../../helpers/wait-for.ts'
import { add, get, move, useEntityPair } from '../../helpers/entity-pair.ts'

// Forwards of entities that moved away, between two actor systems on one real journal
// (test/helpers/entity-pair.ts).
describe('EntityForwards', () => {
  const pair = useEntityPair()

  it('should stop passing an entity\'s messages to the node it moved to once its own view gives the entity back (that node died)', async () => {
    const { a, b } = pair
    await add(a, 'c7', 'x', 1)
    await move(pair, 'c7')
    expect(await add(a, 'c7', 'x', 2)).to.equal(2) // forwarded to b
    // b dies, and a's view gives the entity back to a: a recovers it from its journal at once,
    // it does not keep forwarding to b until the forward expires
    await b.system.terminate()
    a.owner = 'a'
    expect(await add(a, 'c7', 'x', 3)).to.equal(3)
    expect((await get(a, 'c7')).log).to.deep.equal(['x:1', 'x:2', 'x:3'])
  })

  it('should still pass on a peer\'s message for an entity that moved away once the node stops its entities', async () => {
    const { a, b } = pair
    await add(a, 'c8', 'x', 1)
    await move(pair, 'c8')
    expect(await a.system.stopEntities(5_000), 'entities that did not stop').to.equal(0)
    // a peer whose view is behind still sends it to a: a passes it on to b, not to a dead letter
    expect(a.port.deliverToEntity('counter', 'c8', { type: 'watch', who: 'late-gateway' })).to.equal('ok')
    await waitFor(async () => (await get(b, 'c8')).watchers.includes('late-gateway'), 'the message to reach b', { timeout: 5_000, interval: 10 })
  })

  it('should pass on messages for an entity moved while this node\'s view still named it, until the view names another owner', async () => {
    const { a, b } = pair
    await add(a, 'c11', 'x', 1)
    // an admin's move: a's view still names a (the pin is not heard yet)
    const released = await a.port.release('counter', 'c11', { busyMs: 1_000, graceMs: 1_000 })
    if (released.outcome !== 'released') throw new Error(released.outcome)
    expect(await b.port.adopt('counter', 'c11', released.handOff)).to.equal('ok')
    a.port.finishRelease('counter', 'c11', 'b')
    b.owner = 'b'
    expect(await add(a, 'c11', 'x', 2)).to.equal(2)
    // a view change that still names a: the forward holds
    a.port.viewChanged()
    expect(await add(a, 'c11', 'x', 3)).to.equal(3)
    expect(a.system.entities('counter'), 'activations on a').to.deep.equal([])
    expect((await get(b, 'c11')).log).to.deep.equal(['x:1', 'x:2', 'x:3'])
    // the pin is heard (a's view names b): the forward follows the view from then on, so when the
    // view gives the entity back to a, a takes it again instead of passing it on
    a.owner = 'b'
    a.port.viewChanged()
    a.owner = 'a'
    expect(await add(a, 'c11', 'x', 4)).to.equal(4)
    expect(a.system.entities('counter').map((e) => e.key)).to.deep.equal(['c11'])
  })
})
