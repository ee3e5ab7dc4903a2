import { expect } from 'chai'
import { PeriodicService, ServiceFailures } from '../../../node/services/index.ts'
import { deferred, waitFor } from '../../helpers/wait-for.ts'

/** A logger that keeps its lines. */
function lines (): { log: { info: (o: object, m: string) => void, warn: (o: object, m: string) => void, debug: (o: object, m: string) => void }, said: Array<{ level: string, msg: string }> } {
  const said: Array<{ level: string, msg: string }> = []
  const at = (level: string) => (_o: object, msg: string): void => { said.push({ level, msg }) }
  return { log: { info: at('info'), warn: at('warn'), debug: at('debug') }, said }
}

describe('PeriodicService', () => {
  const started: PeriodicService[] = []
  const make = (opts: Partial<ConstructorParameters<typeof PeriodicService>[0]> & Pick<ConstructorParameters<typeof PeriodicService>[0], 'run'>): PeriodicService => {
    const s = new PeriodicService({ name: 'test-loop', intervalMs: 1, failures: new ServiceFailures(), log: lines().log, ...opts })
    started.push(s)
    return s
  }
  afterEach(async () => { await Promise.all(started.splice(0).map(async (s) => { await s.stop() })) })

  it('should run again after each run ends, one at a time', async () => {
    let inFlight = 0
    let most = 0
    const s = make({
      run: async () => {
        most = Math.max(most, ++inFlight)
        await new Promise((resolve) => setImmediate(resolve))
        inFlight--
      }
    })
    s.start()
    await waitFor(() => s.runs >= 5, 'five runs')
    expect(most).to.equal(1)
  })

  it('should count a failed run, log its streak once, and say when it runs again', async () => {
    const failures = new ServiceFailures()
    const { log, said } = lines()
    let n = 0
    const s = make({
      failures,
      log,
      backoffFirstMs: 1,
      backoffMaxMs: 2,
      run: () => { if (++n <= 3) throw new Error(`bad disk ${n}`) }
    })
    s.start()
    await waitFor(() => s.runs >= 4, 'three failed runs and a good one')
    expect(failures.of('test-loop')).to.equal(3)
    expect(failures.entries()).to.deep.equal([['test-loop', 3]])
    expect(said.filter((l) => l.level === 'warn').map((l) => l.msg)).to.have.length(1)
    expect(said.find((l) => l.level === 'warn')?.msg).to.match(/^test-loop failed: bad disk 1; trying again in \d+ ms/)
    expect(said.filter((l) => l.level === 'debug')).to.have.length(2)
    expect(said.find((l) => l.level === 'info')?.msg).to.equal('test-loop ran again after 3 failed runs')
    expect(s.failingFor).to.equal(0)
  })

  it('should log a run that failed for want of the cluster (kind unavailable) without its stack, any other with it', async () => {
    const objs: Array<Record<string, unknown>> = []
    const keep = (o: object): void => { objs.push(o as Record<string, unknown>) }
    let n = 0
    const s = make({
      log: { info: () => {}, warn: keep, debug: keep },
      backoffFirstMs: 1,
      backoffMaxMs: 1,
      run: () => {
        if (++n === 1) throw Object.assign(new Error('writes unavailable: 1 of the 2 replicas a write needs is reachable'), { kind: 'unavailable' })
        if (n === 2) return
        if (n === 3) throw new Error('bad disk')
      }
    })
    s.start()
    await waitFor(() => s.runs >= 4, 'a failed run, a good one, another failed one and a good one')
    expect(objs[0]).to.deep.equal({ service: 'test-loop', reason: 'writes unavailable: 1 of the 2 replicas a write needs is reachable' })
    expect(objs[1]?.err).to.be.instanceOf(Error)
  })

  it('should back off while runs fail, doubling up to its bound', async () => {
    const { log, said } = lines()
    const s = make({ log, intervalMs: 1, backoffFirstMs: 1_000, backoffMaxMs: 1_500, run: () => { throw new Error('down') } })
    s.start()
    await waitFor(() => s.runs >= 1, 'a failed run')
    // the first retry waits the first backoff, not the 1 ms interval
    expect(said[0]?.msg).to.match(/trying again in 1000 ms/)
    expect(s.runs).to.equal(1)
  })

  it('should not run by itself when its interval is 0, only when triggered, and join a run in progress', async () => {
    const gate = deferred()
    let runs = 0
    const s = make({ intervalMs: 0, run: async () => { runs++; await gate.promise } })
    s.start()
    const a = s.trigger()
    const b = s.trigger()
    gate.resolve()
    await Promise.all([a, b])
    expect(runs).to.equal(1)
    expect(s.runs).to.equal(1)
  })

  it('should abort the run in progress at stop, wait for it, and not count it as a failure', async () => {
    const failures = new ServiceFailures()
    let aborted = false
    const s = make({
      failures,
      runAtStart: true,
      run: async (signal) => await new Promise((_resolve, reject) => {
        signal.addEventListener('abort', () => { aborted = true; reject(new Error('aborted')) }, { once: true })
      })
    })
    s.start()
    await waitFor(() => s.runs === 0 && !aborted, 'the run to start')
    await s.stop()
    expect(aborted).to.equal(true)
    expect(failures.of('test-loop')).to.equal(0)
    await s.trigger()
    expect(s.runs).to.equal(1)
  })
})
