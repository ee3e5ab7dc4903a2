import { expect } from 'chai'
import { EntityAlreadyActiveError, isSuperseded } from '../../../actors/index.ts'
import { deferred } from '../../helpers/wait-for.ts'
import { COUNTER, add, finishers, get, move, useEntityPair } from '../../helpers/entity-pair.ts'

// The kernel's side of a live move (release on the old owner, adopt on the new one) between two
// actor systems on one real journal (test/helpers/entity-pair.ts); the mesh's side is tested on
// real nodes (test/integration/migration.spec.ts).
describe('LiveMove', () => {
  const pair = useEntityPair()

  it('should move an entity with its state and volatile state, losing, repeating and reordering nothing sent meanwhile', async () => {
    const { a, b, journal } = pair
    for (let i = 1; i <= 5; i++) await add(a, 'c1', 'x', i)
    a.system.entity(COUNTER, 'c1').tell({ type: 'watch', who: 'gateway-1' })
    // posts keep coming while the entity moves: none may be lost, repeated or reordered
    const acks: Array<Promise<number>> = []
    let sending = true
    const sender = (async () => {
      for (let i = 6; sending && i < 400; i++) {
        acks.push(add(a, 'c1', 'y', i))
        await new Promise((resolve) => setImmediate(resolve))
      }
    })()
    await new Promise((resolve) => setTimeout(resolve, 5))
    const fences = journal.replicaStats().fences
    const handOff = await move(pair, 'c1')
    expect(handOff.seq).to.be.at.least(5)
    // the new owner went on from the old owner's hold on the journal: no fence, the same epoch
    expect(handOff.journal, 'the journal handed over').to.include({ entity: 'counter/c1', head: handOff.seq })
    expect(journal.replicaStats().fences, 'fences to take it on b').to.equal(fences)
    expect(handOff.volatile).to.deep.equal({ watchers: ['gateway-1'] })
    sending = false
    await sender
    const seqs = await Promise.all(acks)
    expect(seqs).to.deep.equal(seqs.map((_, i) => i + 6), 'every post acknowledged once, in order')
    expect(a.system.entities('counter')).to.deep.equal([])
    expect(b.system.entities('counter').map((e) => e.key)).to.deep.equal(['c1'])
    const state = await get(b, 'c1')
    expect(state.watchers).to.deep.equal(['gateway-1'])
    expect(state.log).to.deep.equal([...[1, 2, 3, 4, 5].map((n) => `x:${n}`), ...seqs.map((_, i) => `y:${i + 6}`)])
    // what a sends later still reaches b (forwarded), and continues the journal
    expect(await add(a, 'c1', 'z', 1)).to.equal(state.seq + 1)
  })

  it('should let work in progress finish before the move, and move it after its end is journaled', async () => {
    const { a, b } = pair
    await add(a, 'c2', 'x', 1)
    const work = a.system.entity(COUNTER, 'c2').ask<string>((replyTo) => ({ type: 'work', replyTo }), { timeout: 10_000 })
    await new Promise((resolve) => setImmediate(resolve))
    let released = false
    const releasing = a.port.release('counter', 'c2', { busyMs: 10_000, graceMs: 1_000 }).then((r) => { released = true; return r })
    // a message sent meanwhile waits for the move
    const later = add(a, 'c2', 'later', 1)
    await new Promise((resolve) => setTimeout(resolve, 20))
    expect(released, 'released while its work still ran').to.equal(false)
    // its end is a message to itself: it reaches the same activation while it is leaving
    finishers.get('c2')?.()
    expect(await work).to.equal('finished')
    const result = await releasing
    if (result.outcome !== 'released') throw new Error(result.outcome)
    expect(result.handOff.buffered).to.have.length(1)
    expect(await b.port.adopt('counter', 'c2', result.handOff)).to.equal('ok')
    a.port.finishRelease('counter', 'c2', 'b')
    b.owner = 'b'
    expect(await later).to.equal(2)
    expect((await get(b, 'c2')).log).to.deep.equal(['x:1', 'later:1'])
  })

  it('should interrupt work that outlasts the wait, and say "cold" for work that ignores the interrupt', async () => {
    const { a, b } = pair
    await add(a, 'c3', 'x', 1)
    const work = a.system.entity(COUNTER, 'c3').ask<string>((replyTo) => ({ type: 'work', replyTo }), { timeout: 10_000 })
    await new Promise((resolve) => setImmediate(resolve))
    const released = await a.port.release('counter', 'c3', { busyMs: 10, graceMs: 2_000 })
    expect(released.outcome).to.equal('released')
    expect(await work).to.equal('interrupted')
    if (released.outcome === 'released') expect(await b.port.adopt('counter', 'c3', released.handOff)).to.equal('ok')
    a.port.finishRelease('counter', 'c3', 'b')
    b.owner = 'b'
    expect((await get(b, 'c3')).log).to.deep.equal(['x:1'])

    // work that ignores the interrupt: no hand-off is made, the new owner recovers from the journal
    await add(a, 'c3b', 'x', 1)
    void a.system.entity(COUNTER, 'c3b').ask<string>((replyTo) => ({ type: 'work', stuck: true, replyTo }), { timeout: 10_000 }).catch(() => undefined)
    await new Promise((resolve) => setImmediate(resolve))
    const releasing = a.port.release('counter', 'c3b', { busyMs: 10, graceMs: 50 })
    const buffered = add(a, 'c3b', 'waited', 1)
    const stuck = await releasing
    expect(stuck.outcome).to.equal('cold')
    if (stuck.outcome === 'cold') {
      expect(stuck.why).to.match(/still busy/)
      expect(stuck.waiting).to.equal(1)
    }
    b.owner = 'b'
    a.owner = 'b'
    a.port.finishRelease('counter', 'c3b', 'b')
    expect(await buffered).to.equal(2)
    expect((await get(b, 'c3b')).log).to.deep.equal(['x:1', 'waited:1'])
  })

  it('should stop taking an entity that moves away while its journal is not taken yet, and refuse what waited as superseded (sent again, it reaches the new owner)', async () => {
    const { a, b, held } = pair
    const opening = deferred()
    held.set('counter/c9', opening.resolve)
    const waiting = add(a, 'c9', 'x', 1).then(() => null, (e: unknown) => e as Error)
    await opening.promise
    // the view changes: b owns it now. Nothing of it ran on a, so there is nothing to hand over
    a.owner = 'b'
    b.owner = 'b'
    a.port.viewChanged()
    const released = await a.port.release('counter', 'c9', { busyMs: 60_000, graceMs: 60_000 })
    expect(released).to.deep.include({ outcome: 'cold', untaken: true })
    a.port.finishRelease('counter', 'c9', 'b')
    const err = await waiting
    expect(isSuperseded(err), String(err)).to.equal(true)
    expect(a.system.entities('counter')).to.deep.equal([])
    // sent again (as the chat service does with a superseded answer), it reaches b, which takes it
    held.delete('counter/c9')
    expect(await add(a, 'c9', 'x', 1)).to.equal(1)
    expect((await get(b, 'c9')).log).to.deep.equal(['x:1'])
  })

  it('should let a hand-off take the place of an activation still taking its journal here; what waited there is refused as superseded and, sent again, reaches the one handed off', async () => {
    const { a, b, held } = pair
    await add(a, 'c10', 'x', 1)
    // b's view names b before a's does: a message through b starts an activation there, which
    // waits to take the journal (as while a's lease holds it)
    b.owner = 'b'
    const opening = deferred()
    held.set('counter/c10', opening.resolve)
    const waiting = add(b, 'c10', 'y', 1).then(() => null, (e: unknown) => e as Error)
    await opening.promise
    held.delete('counter/c10')
    // a's view changes too: it hands the entity over to b live
    a.owner = 'b'
    const released = await a.port.release('counter', 'c10', { busyMs: 1_000, graceMs: 1_000 })
    if (released.outcome !== 'released') throw new Error(released.outcome)
    expect(await b.port.adopt('counter', 'c10', released.handOff)).to.equal('ok')
    a.port.finishRelease('counter', 'c10', 'b')
    const err = await waiting
    expect(isSuperseded(err), String(err)).to.equal(true)
    expect(await add(b, 'c10', 'y', 1)).to.equal(2)
    expect((await get(b, 'c10')).log).to.deep.equal(['x:1', 'y:1'])
    expect(b.system.entities('counter').map((e) => e.key)).to.deep.equal(['c10'])
  })

  it('should refuse a hand-off of an entity already active here, and one whose key is bad, changing nothing', async () => {
    const { b } = pair
    b.owner = 'b'
    await add(b, 'c6', 'b', 1)
    const err = await b.port.adopt('counter', 'c6', { state: { log: ['forged'] }, seq: 1, snapshotSeq: 0, volatile: undefined, buffered: [] })
    expect(err).to.be.instanceOf(EntityAlreadyActiveError)
    expect(await b.port.adopt('counter', 'bad/key', { state: {}, seq: 0, snapshotSeq: 0, volatile: undefined, buffered: [] })).to.be.instanceOf(Error)
    expect(await b.port.adopt('nope', 'k', { state: {}, seq: 0, snapshotSeq: 0, volatile: undefined, buffered: [] })).to.be.instanceOf(Error)
    expect((await get(b, 'c6')).log).to.deep.equal(['b:1'])
  })

  it('should let a hand-off take the place of an activation here that another node took over meanwhile, found stale (seen while a cluster forms)', async () => {
    const { a, b, takenOver } = pair
    await add(a, 'c12', 'x', 1)
    // b's view named b for a moment and it took the entity (a new epoch); a's activation has not
    // written since, so it has not noticed
    b.owner = 'b'
    expect(await add(b, 'c12', 'y', 1)).to.equal(2)
    takenOver.add('a|counter/c12')
    // the views name a again: b hands it over to a, whose stale activation gives way
    const released = await b.port.release('counter', 'c12', { busyMs: 1_000, graceMs: 1_000 })
    if (released.outcome !== 'released') throw new Error(released.outcome)
    expect(await a.port.adopt('counter', 'c12', released.handOff)).to.equal('ok')
    b.port.finishRelease('counter', 'c12', 'a')
    b.owner = 'a'
    takenOver.clear()
    expect((await get(a, 'c12')).log).to.deep.equal(['x:1', 'y:1'])
    expect(a.system.entities('counter').map((e) => e.key)).to.deep.equal(['c12'])
  })

  it('should answer "not-active" for an entity that is not active here', async () => {
    const { a } = pair
    expect(await a.port.release('counter', 'none', { busyMs: 10, graceMs: 10 })).to.deep.equal({ outcome: 'not-active' })
  })

  it('should start a fresh volatile state when the one handed off is malformed, and still move', async () => {
    const { a, b } = pair
    await add(a, 'c7', 'x', 1)
    const released = await a.port.release('counter', 'c7', { busyMs: 1_000, graceMs: 1_000 })
    if (released.outcome !== 'released') throw new Error(released.outcome)
    expect(await b.port.adopt('counter', 'c7', { ...released.handOff, volatile: { watchers: [1, 2] } })).to.equal('ok')
    a.port.finishRelease('counter', 'c7', 'b')
    b.owner = 'b'
    expect(await get(b, 'c7')).to.deep.equal({ log: ['x:1'], seq: 1, watchers: [] })
  })
})
