import { expect } from 'chai'
import { createPlainCodec } from '../../../actors/index.ts'
import type { HandOff } from '../../../actors/index.ts'
import { add, get, useEntityPair } from '../../helpers/entity-pair.ts'

// An entity's hand-off (hand-off.ts) crosses the mesh: it is plain data, and the copy that arrives
// serves as well as the original.
describe('HandOff', () => {
  const pair = useEntityPair()

  it('should be plain data that survives msgpackr, and move the entity from the copy that arrives', async () => {
    const { a, b } = pair
    await add(a, 'h1', 'x', 1)
    a.system.entity({ type: 'counter' }, 'h1').tell({ type: 'watch', who: 'gateway-9' })
    const released = await a.port.release('counter', 'h1', { busyMs: 1_000, graceMs: 1_000 })
    if (released.outcome !== 'released') throw new Error(released.outcome)
    const codec = createPlainCodec()
    const arrived = codec.decode(codec.encode(released.handOff)) as HandOff
    expect(arrived).to.deep.equal(released.handOff)
    expect(Object.keys(arrived).sort()).to.deep.equal(['buffered', 'journal', 'seq', 'snapshotSeq', 'state', 'volatile'])
    expect(await b.port.adopt('counter', 'h1', arrived)).to.equal('ok')
    a.port.finishRelease('counter', 'h1', 'b')
    b.owner = 'b'
    expect(await get(b, 'h1')).to.deep.equal({ log: ['x:1'], seq: 1, watchers: ['gateway-9'] })
  })
})
