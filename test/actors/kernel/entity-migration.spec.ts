import { expect } from 'chai'
import { ActorSystem, EntityAlreadyActiveError, entityTypeKey, isSuperseded } from '../../../actors/index.ts'
import type { DeliveryResult, EntityType, HandOff, Journal, Remoting, RemotingPort, ReplyTo } from '../../../actors/index.ts'
import { LevelStore, TakeAbandonedError, openLocalJournal } from '../../../node/index.ts'
import type { ReplicatedJournal } from '../../../node/index.ts'
import { tempDir } from '../../helpers/temp-dir.ts'
import { deferred, waitFor } from '../../helpers/wait-for.ts'

// Two actor systems in one process, on one journal, joined by a few lines of Remoting: the
// kernel's side of a live migration (release on the old owner, adopt on the new one) without a
// mesh. The mesh's side is tested on real nodes (test/integration/migration.spec.ts).

type CounterMsg =
  | { type: 'add', who: string, n: number, replyTo: ReplyTo<number> }
  | { type: 'get', replyTo: ReplyTo<{ log: string[], seq: number, watchers: string[] }> }
  | { type: 'watch', who: string }
  | { type: 'work', stuck?: boolean, replyTo: ReplyTo<string> }
  | { type: 'work-ended', how: string }
type CounterEvent = { type: 'added', who: string, n: number }
interface CounterState { readonly log: readonly string[] }
interface CounterVolatile { watchers: Set<string>, working: { asker: ReplyTo<string>, end: (how: string) => void } | undefined, stuck: boolean }

const COUNTER = entityTypeKey<CounterMsg>('counter')
/** The end of each counter's work in progress, for the test to call. */
const finishers = new Map<string, () => void>()

function counterType (): EntityType<CounterMsg, CounterState, CounterEvent, CounterVolatile> {
  return {
    type: 'counter',
    role: 'chat',
    initialState: () => ({ log: [] }),
    applyEvent: (state, event) => ({ log: [...state.log, `${event.who}:${event.n}`] }),
    createVolatile: () => ({ watchers: new Set(), working: undefined, stuck: false }),
    exportVolatile: (v) => ({ watchers: [...v.watchers] }),
    importVolatile (_key, data) {
      const watchers = (data as { watchers?: unknown }).watchers
      if (!Array.isArray(watchers) || !watchers.every((w) => typeof w === 'string')) throw new Error('watchers must be strings')
      return { watchers: new Set(watchers), working: undefined, stuck: false }
    },
    busy: (ctx) => ctx.volatile.working !== undefined,
    interrupt (ctx) { if (!ctx.volatile.stuck) ctx.volatile.working?.end('interrupted') },
    receive (ctx, msg) {
      switch (msg.type) {
        case 'add': {
          // pipelined: acknowledged once durable, the next message handled meanwhile
          const seq = ctx.seq + 1
          void ctx.persist({ type: 'added', who: msg.who, n: msg.n }).then(() => { ctx.reply(msg.replyTo, seq) }, (err: unknown) => { ctx.fail(msg.replyTo, err) })
          return
        }
        case 'get':
          ctx.reply(msg.replyTo, { log: [...ctx.state.log], seq: ctx.seq, watchers: [...ctx.volatile.watchers] })
          return
        case 'watch':
          ctx.volatile.watchers.add(msg.who)
          return
        case 'work': {
          const self = ctx.self
          ctx.volatile.stuck = msg.stuck === true
          ctx.volatile.working = { asker: msg.replyTo, end: (how) => { self.tell({ type: 'work-ended', how }) } }
          finishers.set(ctx.key, () => { self.tell({ type: 'work-ended', how: 'finished' }) })
          return
        }
        case 'work-ended': {
          const working = ctx.volatile.working
          ctx.volatile.working = undefined
          if (working !== undefined) ctx.reply(working.asker, msg.how)
        }
      }
    }
  }
}

/** One node of the pair: its system, its port, and who it thinks owns every counter. */
interface Node {
  system: ActorSystem
  port: RemotingPort
  owner: string
  claim: ((type: string, key: string) => Promise<void> | undefined) | undefined
  /** Whether this node's view is whole (Remoting.mayActivate). */
  whole: boolean
}

describe('live migration in the kernel (release and adopt)', () => {
  let dir: { path: string, remove: () => Promise<void> }
  let store: LevelStore
  let a: Node
  let b: Node
  let journal: ReplicatedJournal
  /** Entities whose journal a node cannot take yet (as while another owner's lease holds it): its
   * open calls the function given, then waits until the activation lets go (the signal, as
   * Journal.open's contract says). */
  const held = new Map<string, () => void>()

  beforeEach(async () => {
    dir = await tempDir()
    store = await LevelStore.open(dir.path)
    journal = await openLocalJournal(store)
    held.clear()
    const gated: Journal = {
      open: async (id, handedOver, signal) => {
        const opening = held.get(id)
        if (opening !== undefined) {
          opening()
          await new Promise<void>((_resolve, reject) => {
            signal?.addEventListener('abort', () => { reject(new TakeAbandonedError(id)) }, { once: true })
          })
        }
        return await journal.open(id, handedOver, signal)
      }
    }
    const nodes = new Map<string, Node>()
    const make = (name: string): Node => {
      const system = new ActorSystem({ node: name, journal: gated, strictSerialization: true })
      system.registerEntity(counterType())
      const node = { system, owner: 'a', claim: undefined, whole: true } as unknown as Node
      const remoting: Remoting = {
        ownerOf: () => node.owner,
        toEntity: (to, type, key, msg): DeliveryResult => nodes.get(to)?.port.deliverToEntity(type, key, msg) ?? 'stopped',
        toActor: () => 'stopped',
        reply: (to, outcome) => { nodes.get(to.node)?.port.settle(to.askId, outcome) },
        claim: (type, key) => node.claim?.(type, key),
        mayActivate: () => node.whole
      }
      node.port = system.attachRemoting(remoting)
      nodes.set(name, node)
      return node
    }
    a = make('a')
    b = make('b')
  })

  afterEach(async () => {
    await a.system.terminate()
    await b.system.terminate()
    await store.close()
    await dir.remove()
  })

  const add = (node: Node, key: string, who: string, n: number): Promise<number> =>
    node.system.entity(COUNTER, key).ask<number>((replyTo) => ({ type: 'add', who, n, replyTo }))
  const get = (node: Node, key: string): Promise<{ log: string[], seq: number, watchers: string[] }> =>
    node.system.entity(COUNTER, key).ask((replyTo) => ({ type: 'get', replyTo }))

  /** Moves `key` from a to b as the mesh does: release, adopt, finish. */
  async function move (key: string): Promise<HandOff> {
    const released = await a.port.release('counter', key, { busyMs: 5_000, graceMs: 1_000 })
    if (released.outcome !== 'released') throw new Error(`not released: ${released.outcome}`)
    expect(await b.port.adopt('counter', key, released.handOff)).to.equal('ok')
    a.port.finishRelease('counter', key, 'b')
    // the views change (as a view change after a rebalance, or a pin heard after an admin's move)
    a.owner = 'b'
    b.owner = 'b'
    a.port.viewChanged()
    b.port.viewChanged()
    return released.handOff
  }

  it('should move an entity with its state and volatile state, losing, repeating and reordering nothing sent meanwhile', async () => {
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
    const handOff = await move('c1')
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

    // work that ignores the interrupt: no state is handed over, the new owner recovers from the journal
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

  it('should stop passing an entity\'s messages to the node it moved to once its own view gives the entity back (that node died)', async () => {
    await add(a, 'c7', 'x', 1)
    await move('c7')
    expect(await add(a, 'c7', 'x', 2)).to.equal(2) // forwarded to b
    // b dies, and a's view gives the entity back to a: a recovers it from its journal at once,
    // it does not keep forwarding to b until the forward expires
    await b.system.terminate()
    a.owner = 'a'
    expect(await add(a, 'c7', 'x', 3)).to.equal(3)
    expect((await get(a, 'c7')).log).to.deep.equal(['x:1', 'x:2', 'x:3'])
  })

  it('should still pass on a peer\'s message for an entity that moved away once the node stops its entities', async () => {
    await add(a, 'c8', 'x', 1)
    await move('c8')
    expect(await a.system.stopEntities(5_000), 'entities that did not stop').to.equal(0)
    // a peer whose view is behind still sends it to a: a passes it on to b, not to a dead letter
    expect(a.port.deliverToEntity('counter', 'c8', { type: 'watch', who: 'late-gateway' })).to.equal('ok')
    await waitFor(async () => (await get(b, 'c8')).watchers.includes('late-gateway'), 'the message to reach b', { timeout: 5_000, interval: 10 })
  })

  it('should give a hand-off the message a peer passed on right behind it, not activate the entity from its journal', async () => {
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

  it('should hold messages for a claimed entity until it is handed over, then take the old owner\'s first', async () => {
    await add(a, 'c4', 'x', 1)
    let endClaim!: () => void
    b.claim = () => new Promise<void>((resolve) => { endClaim = resolve })
    b.owner = 'b'
    // b is the owner in its view: what b is sent waits for the hand-over
    const early = add(b, 'c4', 'early', 1)
    await new Promise((resolve) => setImmediate(resolve))
    expect(b.system.entities('counter')).to.deep.equal([])
    expect(b.port.hosts('counter', 'c4')).to.equal(true)
    // a still takes messages: released with them buffered
    const late = add(a, 'c4', 'late', 1)
    await move('c4')
    endClaim()
    expect(await late).to.equal(2)
    expect(await early).to.equal(3)
    expect((await get(b, 'c4')).log).to.deep.equal(['x:1', 'late:1', 'early:1'])
  })

  it('should activate a claimed entity from its journal when the claim ends without a hand-over', async () => {
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

  it('should stop taking an entity that moves away while its journal is not taken yet, and refuse what waited as superseded (sent again, it reaches the new owner)', async () => {
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

  it('should let a hand-over take the place of an activation still taking its journal here; what waited there is refused as superseded and, sent again, reaches the one handed over', async () => {
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

  it('should refuse a hand-over of an entity already active here, and one whose key is bad, changing nothing', async () => {
    b.owner = 'b'
    await add(b, 'c6', 'b', 1)
    const err = await b.port.adopt('counter', 'c6', { state: { log: ['forged'] }, seq: 1, snapshotSeq: 0, volatile: undefined, buffered: [] })
    expect(err).to.be.instanceOf(EntityAlreadyActiveError)
    expect(await b.port.adopt('counter', 'bad/key', { state: {}, seq: 0, snapshotSeq: 0, volatile: undefined, buffered: [] })).to.be.instanceOf(Error)
    expect(await b.port.adopt('nope', 'k', { state: {}, seq: 0, snapshotSeq: 0, volatile: undefined, buffered: [] })).to.be.instanceOf(Error)
    expect((await get(b, 'c6')).log).to.deep.equal(['b:1'])
  })

  it('should answer "not-active" for an entity that is not active here', async () => {
    expect(await a.port.release('counter', 'none', { busyMs: 10, graceMs: 10 })).to.deep.equal({ outcome: 'not-active' })
  })

  it('should start a fresh volatile state when the one handed over is malformed, and still move', async () => {
    await add(a, 'c7', 'x', 1)
    const released = await a.port.release('counter', 'c7', { busyMs: 1_000, graceMs: 1_000 })
    if (released.outcome !== 'released') throw new Error(released.outcome)
    expect(await b.port.adopt('counter', 'c7', { ...released.handOff, volatile: { watchers: [1, 2] } })).to.equal('ok')
    a.port.finishRelease('counter', 'c7', 'b')
    b.owner = 'b'
    expect(await get(b, 'c7')).to.deep.equal({ log: ['x:1'], seq: 1, watchers: [] })
  })
})
