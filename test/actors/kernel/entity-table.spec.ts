import { expect } from 'chai'
import { waitFor } from '../../helpers/wait-for.ts'
import { ACCOUNT, accountType, balance, deposit, useEntityNode } from '../../helpers/kernel-entities.ts'
import { add, get, move, useEntityPair } from '../../helpers/entity-pair.ts'

// The activation bookkeeping of one node's entities: on a real LevelDB journal
// (test/helpers/kernel-entities.ts), and between two systems for what moves bring
// (test/helpers/entity-pair.ts).
describe('EntityTable', () => {
  describe('passivation', () => {
    const node = useEntityNode()

    it('should lose no message sent while the entity passivates and reactivates', async function () {
      this.timeout(20_000)
      const system = await node.open([accountType({ idleTimeout: 1 })])
      const ref = system.entity(ACCOUNT, 'dave')
      let sent = 0
      const acks: Array<Promise<number>> = []
      const send = (): void => {
        sent++
        acks.push(deposit(system, 'dave', 1))
      }
      for (let round = 0; round < 40; round++) {
        sent++
        await deposit(system, 'dave', 1)
        // the mailbox is empty: this passivates the entity as soon as it is handled, and the
        // deposits below race that passivation (sent at once, after a microtask, after a timer)
        ref.tell({ type: 'sleep' })
        switch (round % 4) {
          case 0: send(); break
          case 1: await Promise.resolve(); send(); send(); break
          case 2: await new Promise((resolve) => setImmediate(resolve)); send(); break
          case 3: await new Promise((resolve) => setTimeout(resolve, 1)); send(); send(); break
        }
      }
      await Promise.all(acks)
      expect(system.stats.entityPassivations).to.be.at.least(10)
      expect(system.stats.entityActivations).to.be.at.least(system.stats.entityPassivations)
      expect(await balance(system, 'dave')).to.deep.equal({ balance: sent, seq: sent })
    })

    it('should list each activation once with its status and mailbox, and forget it when it stops', async () => {
      const system = await node.open([accountType({ idleTimeout: 20 })])
      await deposit(system, 'a1', 1)
      await deposit(system, 'a2', 1)
      expect(system.entities().map((e) => e.key).sort()).to.deep.equal(['a1', 'a2'])
      expect(system.entities('nothing')).to.deep.equal([])
      await waitFor(() => system.entities().length === 0, 'both to passivate', { timeout: 2_000 })
      expect(system.stats.entityPassivations).to.equal(2)
      expect(await balance(system, 'a1')).to.deep.equal({ balance: 1, seq: 1 })
      expect(system.entities().map((e) => e.key)).to.deep.equal(['a1'])
    })
  })

  describe('moves', () => {
    const pair = useEntityPair()

    it('should take messages for an entity moved here within FORWARD_MS whatever this node\'s view names', async () => {
      const { a, b } = pair
      await add(a, 'm1', 'x', 1)
      await move(pair, 'm1')
      // b's view goes back to naming a, and a is gone: b still takes what it is sent for m1
      await a.system.terminate()
      b.owner = 'a'
      expect(b.port.hosts('counter', 'm1')).to.equal(true)
      expect(await add(b, 'm1', 'y', 2)).to.equal(2)
      expect(b.port.activeEntities()).to.deep.equal([['counter', 'm1']])
      expect((await get(b, 'm1')).log).to.deep.equal(['x:1', 'y:2'])
    })

    it('should count the messages waiting for a move, and leave an entity that moves away out of the active ones', async () => {
      const { a } = pair
      await add(a, 'm2', 'x', 1)
      expect(a.port.activeEntities()).to.deep.equal([['counter', 'm2']])
      expect(a.port.hosts('counter', 'm2'), 'active, not moving: placement decides').to.equal(false)
      const releasing = a.port.release('counter', 'm2', { busyMs: 1_000, graceMs: 1_000 })
      const waiting = add(a, 'm2', 'y', 2)
      expect(a.port.activeEntities()).to.deep.equal([])
      expect(a.port.hosts('counter', 'm2')).to.equal(true)
      expect(a.port.buffered()).to.deep.equal({ entities: 1, messages: 1 })
      const released = await releasing
      if (released.outcome !== 'released') throw new Error(released.outcome)
      expect(released.handOff.buffered, 'what waited goes with the hand-off').to.have.length(1)
      expect(a.port.buffered()).to.deep.equal({ entities: 1, messages: 0 })
      // the hand-off went nowhere: what it carried is routed as usual (here: back to a)
      a.port.finishRelease('counter', 'm2', undefined, released.handOff.buffered)
      expect(a.port.buffered()).to.deep.equal({ entities: 0, messages: 0 })
      expect(await waiting).to.equal(2)
    })
  })
})
