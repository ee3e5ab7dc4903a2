import { expect } from 'chai'
import { ActorSystem } from '../../../actors/index.ts'
import type { EntityJournal, Journal } from '../../../actors/index.ts'
import { ACCOUNT, accountType, deposit, useEntityNode } from '../../helpers/kernel-entities.ts'
import { counterType } from '../../helpers/entity-pair.ts'
import { waitFor } from '../../helpers/wait-for.ts'

/** The real journal, with what the kernel does to each entity's hold written down in order. */
function recorded (real: Journal, calls: string[], options: { handOver?: boolean } = {}): Journal {
  return {
    open: async (id, handedOver, signal) => {
      calls.push(`open ${id}${handedOver === undefined ? '' : ' handed over'}`)
      const j: EntityJournal = await real.open(id, handedOver, signal)
      const { append, saveSnapshot, close } = { append: j.append.bind(j), saveSnapshot: j.saveSnapshot.bind(j), close: j.close.bind(j) }
      j.append = async (records) => {
        await append(records)
        calls.push(`durable ${records.map((r) => r.seq).join(',')}`)
      }
      j.saveSnapshot = async (snapshot) => {
        calls.push(`snapshot ${snapshot.seq}`)
        await saveSnapshot(snapshot)
      }
      j.close = () => {
        calls.push('close')
        close()
      }
      if (options.handOver === false) j.handOver = undefined
      return j
    }
  }
}

// The kernel's side of the Journal contract (journal.ts), on node/'s real journal.
describe('Journal', () => {
  const node = useEntityNode()

  it('should save a snapshot only after the events it covers are durable, and let go of the hold when the activation stops', async () => {
    const calls: string[] = []
    const system = await node.open([accountType({ snapshotEvery: 2 })], { wrap: (real) => recorded(real, calls) })
    await deposit(system, 'j', 1)
    await deposit(system, 'j', 2)
    await waitFor(() => calls.includes('snapshot 2'), 'the snapshot')
    expect(calls.indexOf('snapshot 2')).to.be.above(calls.indexOf('durable 2'))
    system.entity(ACCOUNT, 'j').tell({ type: 'sleep' })
    await waitFor(() => calls.includes('close'), 'the hold to be let go')
    expect(calls).to.deep.equal(['open account/j', 'durable 1', 'durable 2', 'snapshot 2', 'close'])
  })

  it('should move an entity whose journal cannot hand over its hold: the new owner takes the journal anew', async () => {
    const calls: string[] = []
    const wrap = (real: Journal): Journal => recorded(real, calls, { handOver: false })
    const a = await node.open([counterType()], { node: 'a', wrap })
    const b = new ActorSystem({ node: 'b', journal: wrap(node.journal), strictSerialization: true })
    try {
      b.registerEntity(counterType())
      const local = { ownerOf: () => 'a', toEntity: () => 'stopped' as const, toActor: () => 'stopped' as const, reply: () => {} }
      const portA = a.attachRemoting(local)
      const portB = b.attachRemoting({ ...local, ownerOf: () => 'b' })
      await a.entity({ type: 'counter' }, 'm').ask<number>((replyTo) => ({ type: 'add', who: 'x', n: 1, replyTo }))
      const fences = node.journal.replicaStats().fences
      const released = await portA.release('counter', 'm', { busyMs: 1_000, graceMs: 1_000 })
      if (released.outcome !== 'released') throw new Error(released.outcome)
      expect(released.handOff).to.not.have.property('journal')
      expect(await portB.adopt('counter', 'm', released.handOff)).to.equal('ok')
      expect(calls.filter((c) => c.startsWith('open'))).to.deep.equal(['open counter/m', 'open counter/m'])
      expect(node.journal.replicaStats().fences, 'a new epoch fences the old owner').to.equal(fences + 1)
      expect(await b.entity({ type: 'counter' }, 'm').ask<{ log: string[] }>((replyTo) => ({ type: 'get', replyTo }))).to.deep.include({ log: ['x:1'] })
    } finally {
      await b.terminate()
    }
  })
})
