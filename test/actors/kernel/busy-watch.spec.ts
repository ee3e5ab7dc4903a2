import { expect } from 'chai'
import { jobType, useEntityNode } from '../../helpers/kernel-entities.ts'
import type { ActorSystem, EntityType, ReplyTo } from '../../../actors/index.ts'

// Waiting for entities' busy work at a node's stop, on a real LevelDB journal
// (test/helpers/kernel-entities.ts).
describe('BusyWatch', () => {
  const node = useEntityNode()

  /** A job entity `key` whose work has begun (it is busy), what it ends with, and its journal. */
  async function startedJob (key: string): Promise<{ system: ActorSystem, job: ReturnType<typeof jobType>, ended: Promise<string>, events: () => Promise<string[]> }> {
    const job = jobType()
    const system = await node.open([job])
    const ref = system.entity(job, key)
    const ended = ref.ask<string>((replyTo) => ({ type: 'start', replyTo }), { timeout: 10_000 })
    const events = (): Promise<string[]> => ref.ask<string[]>((replyTo) => ({ type: 'events', replyTo }))
    // handled in order: once `events` is answered, the job has begun
    expect(await events()).to.deep.equal([])
    return { system, job, ended, events }
  }

  it('should wait for busy work to end before a stop goes on, its end coming back to the same activation', async () => {
    const { system, job, ended, events } = await startedJob('j1')
    let settled = false
    const settling = system.settleEntities(10_000, 1_000).then((r) => { settled = true; return r })
    await new Promise((resolve) => setImmediate(resolve))
    expect(settled, 'settled while the job still runs').to.equal(false)
    job.finish('j1')
    expect(await settling).to.deep.equal({ interrupted: 0, busy: 0 })
    expect(await ended).to.equal('finished')
    expect(await events()).to.deep.equal(['finished'])
  })

  it('should interrupt the work still running when the stop cannot wait any longer, and let it end cleanly', async () => {
    const { system, ended, events } = await startedJob('j2')
    expect(await system.settleEntities(1, 5_000)).to.deep.equal({ interrupted: 1, busy: 0 })
    expect(await ended).to.equal('interrupted')
    expect(await events()).to.deep.equal(['interrupted'])
    // nothing is busy: a stop goes on at once
    expect(await system.settleEntities(1, 1)).to.deep.equal({ interrupted: 0, busy: 0 })
  })

  it('should say how many stayed busy when the interrupt does not end their work', async () => {
    type M = { type: 'begin' } | { type: 'done' } | { type: 'interrupts', replyTo: ReplyTo<number> }
    const stubborn: EntityType<M, null, never, { busy: boolean, interrupts: number }> = {
      type: 'stubborn',
      role: 'ai',
      initialState: () => null,
      applyEvent: (state) => state,
      createVolatile: () => ({ busy: false, interrupts: 0 }),
      busy: (ctx) => ctx.volatile.busy,
      interrupt (ctx) { ctx.volatile.interrupts++ },
      receive (ctx, msg) {
        if (msg.type === 'interrupts') ctx.reply(msg.replyTo, ctx.volatile.interrupts)
        else ctx.volatile.busy = msg.type === 'begin'
      }
    }
    const system = await node.open([stubborn])
    const ref = system.entity(stubborn, 's')
    ref.tell({ type: 'begin' })
    expect(await ref.ask<number>((replyTo) => ({ type: 'interrupts', replyTo }))).to.equal(0)
    expect(await system.settleEntities(1, 1)).to.deep.equal({ interrupted: 1, busy: 1 })
    expect(await ref.ask<number>((replyTo) => ({ type: 'interrupts', replyTo }))).to.equal(1)
    ref.tell({ type: 'done' })
    expect(await system.settleEntities(5_000, 1)).to.deep.equal({ interrupted: 0, busy: 0 })
  })
})
