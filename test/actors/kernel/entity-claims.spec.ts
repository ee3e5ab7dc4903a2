import { expect } from 'chai'
import { waitFor } from '../../helpers/wait-for.ts'
import { add, get, move, useEntityPair } from '../../helpers/entity-pair.ts'

// Claims (Remoting.claim) between two actor systems on one real journal (test/helpers/entity-pair.ts).
describe('EntityClaims', () => {
  const pair = useEntityPair()

  it('should give a hand-off the message a peer passed on right behind it, not activate the entity from its journal', async () => {
    const { a, b, journal } = pair
    for (let i = 1; i <= 3; i++) await add(a, 'c9', 'x', i)
    const released = await a.port.release('counter', 'c9', { busyMs: 5_000, graceMs: 1_000 })
    if (released.outcome !== 'released') throw new Error(`not released: ${released.outcome}`)
    // the old owner passes on what arrives as soon as the hand-off is on its way: a message can
    // reach b in the same turn as the hand-off, before b's migration actor took it
    a.owner = 'b'
    a.port.viewChanged()
    a.port.finishRelease('counter', 'c9', 'b')
    let claims = 0
    b.claim = () => { claims++; return undefined }
    const fences = journal.replicaStats().fences
    const later = add(a, 'c9', 'y', 4)
    const adopted = b.port.adopt('counter', 'c9', released.handOff)
    expect(await adopted).to.equal('ok')
    expect(await later).to.equal(4)
    expect(claims, 'claims asked').to.equal(0)
    expect(journal.replicaStats().fences, 'fences: the journal was not taken anew').to.equal(fences)
    expect((await get(b, 'c9')).log).to.deep.equal(['x:1', 'x:2', 'x:3', 'y:4'])
  })

  it('should hold messages for a claimed entity until it is handed off, then take the old owner\'s first', async () => {
    const { a, b } = pair
    await add(a, 'c4', 'x', 1)
    let endClaim!: () => void
    b.claim = () => new Promise<void>((resolve) => { endClaim = resolve })
    b.owner = 'b'
    // b is the owner in its view: what b is sent waits for the hand-off
    const early = add(b, 'c4', 'early', 1)
    await new Promise((resolve) => setImmediate(resolve))
    expect(b.system.entities('counter')).to.deep.equal([])
    expect(b.port.hosts('counter', 'c4')).to.equal(true)
    // a still takes messages: released with them buffered
    const late = add(a, 'c4', 'late', 1)
    await move(pair, 'c4')
    endClaim()
    expect(await late).to.equal(2)
    expect(await early).to.equal(3)
    expect((await get(b, 'c4')).log).to.deep.equal(['x:1', 'late:1', 'early:1'])
  })

  it('should activate a claimed entity from its journal when the claim ends without a hand-off', async () => {
    const { a, b } = pair
    await add(a, 'c5', 'x', 1)
    await a.port.release('counter', 'c5', { busyMs: 1_000, graceMs: 1_000 })
    a.port.finishRelease('counter', 'c5', undefined)
    let endClaim!: () => void
    b.claim = () => new Promise<void>((resolve) => { endClaim = resolve })
    b.owner = 'b'
    const waiting = add(b, 'c5', 'y', 1)
    await new Promise((resolve) => setImmediate(resolve))
    endClaim()
    expect(await waiting).to.equal(2)
    expect((await get(b, 'c5')).log).to.deep.equal(['x:1', 'y:1'])
  })

  it('should refuse what waited for a claim, activating nothing, when the view turned partial while the claim ran', async () => {
    const { a, b } = pair
    await add(a, 'c8', 'x', 1)
    await a.port.release('counter', 'c8', { busyMs: 1_000, graceMs: 1_000 })
    a.port.finishRelease('counter', 'c8', undefined)
    let endClaim!: () => void
    b.claim = () => new Promise<void>((resolve) => { endClaim = resolve })
    b.owner = 'b'
    const waiting = add(b, 'c8', 'y', 1).then(() => null, (e: unknown) => e as Error)
    await new Promise((resolve) => setImmediate(resolve))
    // a cut begins: the old owner does not answer the claim, and this node now hears too few members
    b.whole = false
    endClaim()
    const err = await waiting
    expect(err?.name).to.equal('PartialViewError')
    expect(b.system.entities('counter')).to.deep.equal([])
    // once whole again it takes the entity (the old owner let it go), the refused message not applied
    b.whole = true
    b.claim = undefined
    expect(await add(b, 'c8', 'z', 1)).to.equal(2)
    expect((await get(b, 'c8')).log).to.deep.equal(['x:1', 'z:1'])
  })

  it('should claim the entity once a peer\'s message has waited a turn and no hand-off took it, then activate it from its journal', async () => {
    const { a, b } = pair
    await add(a, 'c12', 'x', 1)
    await a.port.release('counter', 'c12', { busyMs: 1_000, graceMs: 1_000 })
    a.port.finishRelease('counter', 'c12', undefined)
    let claims = 0
    let endClaim!: () => void
    b.claim = () => {
      claims++
      return new Promise<void>((resolve) => { endClaim = resolve })
    }
    b.owner = 'b'
    // a peer whose view names b sends it there
    expect(b.port.deliverToEntity('counter', 'c12', { type: 'watch', who: 'peer' })).to.equal('ok')
    expect(claims, 'claims before the turn').to.equal(0)
    await waitFor(() => claims === 1, 'the claim after a turn')
    expect(b.system.entities('counter')).to.deep.equal([])
    expect(b.port.buffered()).to.deep.equal({ entities: 1, messages: 1 })
    endClaim()
    await waitFor(async () => (await get(b, 'c12')).watchers.includes('peer'), 'the peer\'s message to reach the activation')
    expect((await get(b, 'c12')).log).to.deep.equal(['x:1'])
    expect(b.port.buffered()).to.deep.equal({ entities: 0, messages: 0 })
  })
})
