import { expect } from 'chai'
import { ActorSystem } from '../../../actors/index.ts'
import type { ActorRef, SupervisorIntensityError } from '../../../actors/index.ts'
import { counter, countOf } from '../../helpers/counter-behavior.ts'
import { waitFor } from '../../helpers/wait-for.ts'

// What every cell of one system shares (kernel.ts): its node, stats, asks, mailbox default, reply
// routing and escalation hook; and nothing of it is shared between systems (no module state).
describe('Kernel', () => {
  it('should keep each system\'s cells to their own system: names, stats, asks and mailbox default', async () => {
    const a = new ActorSystem({ node: 'a', mailboxCapacity: 2 })
    const b = new ActorSystem({ node: 'b' })
    try {
      const inA = a.spawn(counter, { name: 'same' })
      const inB = b.spawn(counter, { name: 'same' })
      expect([inA.node, inB.node]).to.deep.equal(['a', 'b'])
      expect([1, 2, 3].map(() => inA.tell({ type: 'inc', by: 1 })), 'a\'s default mailbox of 2').to.deep.equal([true, true, false])
      await waitFor(() => a.stats.messagesProcessed === 2, 'a\'s mailbox to drain')
      expect(await countOf(inA)).to.equal(2)
      expect(await countOf(inB)).to.equal(0)
      expect([a.stats.tellsDropped, b.stats.tellsDropped]).to.deep.equal([1, 0])
      expect([a.pendingAsks, b.pendingAsks]).to.deep.equal([0, 0])
      expect(b.lookup('/same')).to.equal(inB)
    } finally {
      await a.terminate()
      await b.terminate()
    }
  })

  it('should tell the system\'s escalation hook when a top-level actor exceeds the root\'s intensity, and stop only that actor', async () => {
    const escalations: SupervisorIntensityError[] = []
    const system = new ActorSystem({ supervision: { intensity: 1, backoff: { min: 1, max: 1 } }, onEscalation: (err) => escalations.push(err) })
    try {
      const crashing = system.spawn(counter, { name: 'crashing', restart: 'permanent' })
      const calm = system.spawn(counter, { name: 'calm' })
      for (let i = 0; i < 2; i++) {
        await crashing.ask<number>((replyTo) => ({ type: 'fail', replyTo })).catch(() => undefined)
        if (i === 0) await waitFor(() => system.stats.restarts === 1, 'the first restart')
      }
      await waitFor(() => escalations.length === 1, 'the escalation')
      expect(escalations[0]?.supervisor).to.equal('/')
      expect(system.lookup('/crashing')).to.equal(undefined)
      calm.tell({ type: 'inc', by: 1 })
      expect(await countOf(calm)).to.equal(1)
      expect((crashing as ActorRef<never>).path).to.equal('/crashing')
    } finally {
      await system.terminate()
    }
  })
})
