import { expect } from 'chai'
import { ActorSystem, supervisor } from '../../../actors/index.ts'
import type { ActorRef } from '../../../actors/index.ts'
import { InFlight } from '../../../actors/kernel/in-flight.ts'
import { childrenOf, findChild, worker } from '../../helpers/supervised-workers.ts'
import { waitFor } from '../../helpers/wait-for.ts'

describe('InFlight', () => {
  let system: ActorSystem
  let log: string[]
  let counts: Map<string, number>
  beforeEach(() => {
    system = new ActorSystem()
    log = []
    counts = new Map()
  })
  afterEach(async () => { await system.terminate() })

  it('should stop within the shutdown time even when a child\'s handler never returns', async () => {
    const sup = system.spawn(supervisor({}, [{ id: 'stuck', start: worker('stuck', log, counts), shutdown: 30 }]))
    await waitFor(async () => (await childrenOf(sup)).length === 1, 'the child')
    const stuck = await findChild(system, sup, 'stuck')
    stuck.tell({ type: 'hang' })
    await waitFor(() => log.includes('hang:stuck'), 'the handler to hang')
    const started = performance.now()
    await system.stop(sup as ActorRef<never>)
    expect(performance.now() - started).to.be.at.least(25)
    expect(log).to.include('stop:stuck:shutdown')
  })

  it('should resolve at once with nothing in flight, when the handler ends, or give up after the time given', async () => {
    const inFlight = new InFlight()
    let gaveUp = 0
    await inFlight.ended(60_000, () => { gaveUp++ })
    inFlight.begin()
    expect(inFlight.running).to.equal(true)
    const waiting = inFlight.ended(60_000, () => { gaveUp++ })
    inFlight.end()
    await waiting
    expect([inFlight.running, gaveUp]).to.deep.equal([false, 0])
    inFlight.begin()
    await inFlight.ended(1, () => { gaveUp++ })
    expect([inFlight.running, gaveUp], 'given up on: it counts as ended').to.deep.equal([false, 1])
  })
})
