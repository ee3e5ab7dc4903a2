import { expect } from 'chai'
import fc from 'fast-check'
import { isSuperseded } from '../../../actors/index.ts'
import type { ActorSystem, Journal } from '../../../actors/index.ts'
import { ACCOUNT, LIST, accountType, balance, causes, deposit, flipByte, listType, useEntityNode } from '../../helpers/kernel-entities.ts'
import type { ListEvent, ListState } from '../../helpers/kernel-entities.ts'
import { waitFor } from '../../helpers/wait-for.ts'

// One activation of an entity: recovery from its journal, persist, snapshots, leases, on a real
// LevelDB journal (test/helpers/kernel-entities.ts).
describe('EntityActivation', () => {
  const node = useEntityNode()

  it('should recover every entity exactly after a restart on the same data dir', async () => {
    let system: ActorSystem
    system = await node.open()
    const expected: Record<string, { balance: number, seq: number }> = {}
    for (let i = 0; i < 20; i++) {
      const key = `user-${i}`
      for (let j = 0; j <= i % 5; j++) await deposit(system, key, i + j)
      expected[key] = await balance(system, key)
    }
    await node.close()
    system = await node.open()
    for (const [key, value] of Object.entries(expected)) expect(await balance(system, key), key).to.deep.equal(value)
  })

  it('should recover from snapshot plus later events to exactly the live state', async function () {
    let system: ActorSystem
    this.timeout(60_000)
    await fc.assert(fc.asyncProperty(
      fc.integer({ min: 1, max: 6 }),
      fc.array(fc.array(fc.string({ maxLength: 8 }), { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 25 }),
      async (snapshotEvery, batches) => {
        await node.fresh()
        system = await node.open([listType(snapshotEvery)])
        const list = system.entity(LIST, 'l')
        await Promise.all(batches.map((items) => list.ask<number>((replyTo) => ({ type: 'add', items, replyTo }))))
        const live = await list.ask<ListState>((replyTo) => ({ type: 'get', replyTo }))
        expect(live.items).to.deep.equal(batches.flat())
        await node.close()
        system = await node.open([listType(snapshotEvery)])
        // the kernel snapshots when a batch takes the seq `snapshotEvery` or more past the last one
        let expectedSnapshot = 0
        let seq = 0
        for (const items of batches) {
          seq += items.length
          if (seq - expectedSnapshot >= snapshotEvery) expectedSnapshot = seq
        }
        const snapshot = await node.journal.storage.loadSnapshot('list/l')
        expect(snapshot?.seq ?? 0).to.equal(expectedSnapshot)
        const recovered = await system.entity(LIST, 'l').ask<ListState>((replyTo) => ({ type: 'get', replyTo }))
        expect(recovered).to.deep.equal(live)
      }), { numRuns: 15, seed: 20261122 })
  })

  it('should snapshot by a function of the state when snapshotEvery is one (after as many events as the list has items)', async () => {
    let system: ActorSystem
    system = await node.open([listType((state) => Math.max(2, state.items.length))])
    const list = system.entity(LIST, 'growing')
    // one item at a time: the interval is asked at each snapshot, of the state then: snapshots at
    // 2, 4 (2 more), 8 (4 more), 16 (8 more); the next would be at 32
    for (let i = 0; i < 20; i++) await list.ask<number>((replyTo) => ({ type: 'add', items: [`i${i}`], replyTo }))
    await waitFor(async () => (await node.journal.storage.loadSnapshot('list/growing'))?.seq === 16, 'the snapshot at 16', { timeout: 10_000, interval: 5 })
    await node.close()
    system = await node.open([listType((state) => Math.max(2, state.items.length))])
    const recovered = await system.entity(LIST, 'growing').ask<ListState>((replyTo) => ({ type: 'get', replyTo }))
    expect(recovered.items).to.deep.equal(Array.from({ length: 20 }, (_, i) => `i${i}`))
  })

  it('should keep the order of pipelined writes and read them back as history', async () => {
    const system = await node.open([listType(10)])
    const list = system.entity(LIST, 'pipelined')
    const acks = await Promise.all(Array.from({ length: 200 }, (_, i) =>
      list.ask<number>((replyTo) => ({ type: 'add', items: [`item-${i}`], replyTo }))))
    expect(acks).to.deep.equal(Array.from({ length: 200 }, (_, i) => i + 1))
    const history = await list.ask<Array<{ seq: number, event: ListEvent }>>((replyTo) => ({ type: 'history', from: 195, replyTo }))
    expect(history.map((r) => [r.seq, r.event.item])).to.deep.equal([195, 196, 197, 198, 199, 200].map((s) => [s, `item-${s - 1}`]))
  })

  it('should keep a persisted event when the handler crashes after persisting, and recover it', async () => {
    const system = await node.open()
    await deposit(system, 'erin', 10)
    system.entity(ACCOUNT, 'erin').tell({ type: 'crash-after-deposit', amount: 5 })
    await waitFor(() => system.stats.restarts === 1, 'the restart')
    expect(await balance(system, 'erin')).to.deep.equal({ balance: 15, seq: 2 })
  })

  it('should detect a corrupt event on activation and fail the waiting asks with its name', async () => {
    let system: ActorSystem
    system = await node.open()
    await deposit(system, 'gina', 1)
    await deposit(system, 'gina', 2)
    await node.close()
    await flipByte(node.dir, (key) => key.startsWith('r\x00') && key.includes('\x00account/gina\x00') && key.endsWith('2'))
    system = await node.open()
    const err = await balance(system, 'gina').then(() => null, (e: unknown) => e as Error)
    expect(err?.name).to.equal('ActorStoppedError')
    expect(err?.message).to.match(/CorruptRecordError: corrupt record at .*account\/gina.*SHA-256 does not match/)
    expect(causes(err)).to.include('CorruptRecordError')
    expect(await deposit(system, 'other', 1)).to.equal(1)
  })

  it('should fall back to a full replay when the snapshot is corrupt', async () => {
    let system: ActorSystem
    system = await node.open([accountType({ snapshotEvery: 2 })])
    for (let i = 1; i <= 5; i++) await deposit(system, 'hank', i)
    await waitFor(async () => (await node.journal.storage.loadSnapshot('account/hank'))?.seq === 4, 'the snapshot at seq 4')
    await node.close()
    await flipByte(node.dir, (key) => key.startsWith('p\x00') && key.endsWith('\x00account/hank'))
    system = await node.open([accountType({ snapshotEvery: 2 })])
    expect(await balance(system, 'hank')).to.deep.equal({ balance: 15, seq: 5 })
  })

  it('should fail a write that does not reach the journal with JournalWriteError', async () => {
    const system = await node.open()
    await deposit(system, 'jack', 1)
    await node.store.close()
    const err = await deposit(system, 'jack', 1).then(() => null, (e: unknown) => e)
    expect(err).to.have.property('name', 'JournalWriteError')
    expect(causes(err)).to.include('StoreClosedError')
  })

  it('should confirm a hold whose lease lapsed before a message sees the state: refuse the message when too few replicas answer, stop when a newer owner took it', async () => {
    const lease = { current: true, confirms: 0, outcome: 'ok' as 'ok' | 'unavailable' | 'superseded' }
    const leased = (real: Journal): Journal => ({
      open: async (id: string, handedOver?: unknown) => {
        const j = await real.open(id, handedOver)
        return Object.assign(j, {
          current: () => lease.current,
          confirm: async () => {
            lease.confirms++
            if (lease.outcome === 'unavailable') throw Object.assign(new Error(`${id}: confirming needs 1 replica, 0 answered`), { name: 'ReplicasUnavailableError', kind: 'unavailable' })
            if (lease.outcome === 'superseded') throw Object.assign(new Error(`${id}: epoch 1 is stale`), { name: 'StaleEpochError', kind: 'unavailable', superseded: true })
            lease.current = true
            return j.head
          }
        })
      }
    })
    const system = await node.open([accountType()], { wrap: leased })
    expect(await deposit(system, 'rui', 2)).to.equal(2)
    expect(lease.confirms).to.equal(0, 'a current hold answers without a round trip')
    lease.current = false
    expect(await deposit(system, 'rui', 3)).to.equal(5)
    expect(lease.confirms).to.equal(1)
    // too few replicas: this message is refused with the reason, the entity stays
    lease.current = false
    lease.outcome = 'unavailable'
    const refused = await deposit(system, 'rui', 1).then(() => null, (e: unknown) => e as Error)
    expect(refused?.name).to.equal('ReplicasUnavailableError')
    expect(system.entities('account')).to.have.length(1)
    expect(system.stats.restarts).to.equal(0)
    // a newer owner: the message is answered superseded (its asker resends) and the activation stops
    lease.outcome = 'superseded'
    const moved = await deposit(system, 'rui', 1).then(() => null, (e: unknown) => e as Error)
    expect(isSuperseded(moved)).to.equal(true)
    await waitFor(() => system.entities('account').length === 0, 'the superseded activation stops')
    expect(system.stats.restarts).to.equal(0)
    expect(system.stats.entitiesSuperseded).to.equal(1)
  })

  it('should passivate on request once its mailbox is empty', async () => {
    const system = await node.open()
    const ref = system.entity(ACCOUNT, 'carol')
    await deposit(system, 'carol', 1)
    ref.tell({ type: 'sleep' })
    const after = ref.ask<number>((replyTo) => ({ type: 'deposit', amount: 2, replyTo }))
    expect(await after).to.equal(3)
    await waitFor(() => system.entities().length === 0, 'passivation')
    expect(await balance(system, 'carol')).to.deep.equal({ balance: 3, seq: 2 })
  })
})
