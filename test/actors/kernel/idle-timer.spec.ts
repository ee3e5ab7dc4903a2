import { expect } from 'chai'
import { ActorSystem } from '../../../actors/index.ts'
import { IdleTimer } from '../../../actors/kernel/idle-timer.ts'
import type { IdleProbe } from '../../../actors/kernel/idle-timer.ts'
import { counter, countOf } from '../../helpers/counter-behavior.ts'
import type { CountMsg } from '../../helpers/counter-behavior.ts'
import { waitFor } from '../../helpers/wait-for.ts'

describe('IdleTimer', () => {
  let system: ActorSystem
  beforeEach(() => { system = new ActorSystem() })
  afterEach(async () => { await system.terminate() })

  it('should stop an actor that received nothing for its idle timeout, and not one that is busy', async () => {
    let reason = ''
    const idle = system.spawn<CountMsg, number>({ ...counter, onStop: (_s, r) => { reason = r.type } }, { idleTimeout: 20 })
    const busy = system.spawn(counter, { idleTimeout: 60 })
    const keepBusy = setInterval(() => busy.tell({ type: 'inc', by: 1 }), 5)
    try {
      await waitFor(() => reason !== '', 'idle passivation', { timeout: 2_000 })
      expect(reason).to.equal('idle')
      // 30 messages 5 ms apart or more: longer than its idle timeout, and it still lives
      await waitFor(async () => await countOf(busy) >= 30, 'the busy actor to take 30 messages', { timeout: 10_000 })
      expect(system.actors().some((a) => a.path === busy.path)).to.equal(true)
    } finally {
      clearInterval(keepBusy)
    }
  })

  it('should expire only after a whole period with nothing handled and nothing busy, and never once gone', async () => {
    let probe: IdleProbe = 'busy'
    let expired = 0
    let probed = 0
    const timer = new IdleTimer(5, () => { probed++; return probe }, () => { expired++ })
    timer.arm()
    await waitFor(() => probed >= 2, 'two busy checks')
    expect(expired, 'busy: re-armed, not expired').to.equal(0)
    probe = 'quiet'
    timer.handled(1)
    await waitFor(() => expired === 1, 'the expiry after a quiet period')
    const checks = probed
    expect(checks, 'the first quiet check saw activity and re-armed').to.be.at.least(4)
    probe = 'gone'
    timer.arm()
    await waitFor(() => probed > checks, 'the check once gone')
    expect(expired).to.equal(1)
  })

  it('should never arm without an idle time, and stop checking when disarmed', async () => {
    let probed = 0
    new IdleTimer(undefined, () => { probed++; return 'quiet' }, () => {}).arm()
    const disarmed = new IdleTimer(1, () => { probed++; return 'quiet' }, () => {})
    disarmed.arm()
    disarmed.disarm()
    // an actor with an idle time of 10 ms passivates: both timers would have fired by then
    const probe = system.spawn(counter, { idleTimeout: 10 })
    await waitFor(() => system.actors().length === 1, 'the probe actor to passivate (only /entities left)')
    expect(probe.tell({ type: 'inc', by: 1 })).to.equal(false)
    expect(probed).to.equal(0)
  })
})
