import { expect } from 'chai'
import { ActorSystem, supervisor } from '../../../actors/index.ts'
import { backoffDelay, resolveFlags } from '../../../actors/kernel/supervision-flags.ts'
import { constants } from '../../../actors/index.ts'

describe('supervision flags', () => {
  let system: ActorSystem
  beforeEach(() => { system = new ActorSystem() })
  afterEach(async () => { await system.terminate() })

  it('should refuse invalid supervision flags with a message naming the field', () => {
    expect(() => system.spawn(supervisor({ intensity: -1 }, []))).to.throw(/supervision.intensity must be an integer >= 0/)
    expect(() => system.spawn(supervisor({ strategy: 'all-for-one' as 'one-for-all' }, []))).to.throw(/supervision.strategy must be one of/)
    expect(() => system.spawn(supervisor({ backoff: { min: 100, max: 10 } }, []))).to.throw(/backoff.max \(10\) must be >= backoff.min \(100\)/)
    expect(() => system.spawn(supervisor({ backoff: { factor: 0.5 } }, []))).to.throw(/backoff.factor must be a number >= 1/)
  })

  it('should fill in the defaults of the kernel, then those of the caller', () => {
    expect(resolveFlags()).to.deep.equal({
      strategy: 'one-for-one',
      intensity: constants.DEFAULT_INTENSITY,
      period: constants.DEFAULT_PERIOD_MS,
      backoffMin: constants.DEFAULT_BACKOFF_MIN_MS,
      backoffMax: constants.DEFAULT_BACKOFF_MAX_MS,
      backoffFactor: constants.DEFAULT_BACKOFF_FACTOR,
      scope: 'supervisor'
    })
    expect(resolveFlags({ intensity: 2 }, { intensity: 9, scope: 'child' })).to.include({ intensity: 2, scope: 'child' })
    expect(() => resolveFlags({ scope: 'group' as 'child' })).to.throw(/supervision.scope must be 'supervisor' or 'child'/)
    expect(() => resolveFlags({ period: Number.NaN })).to.throw(/supervision.period must be a number of ms >= 0/)
  })

  it('should wait min × factor^(k-1) before the k-th restart, never more than max', () => {
    const flags = resolveFlags({ backoff: { min: 10, max: 100, factor: 3 } })
    expect([1, 2, 3, 4, 5].map((k) => backoffDelay(flags, k))).to.deep.equal([10, 30, 90, 100, 100])
    expect(backoffDelay(flags, 0), 'k below 1 counts as the first').to.equal(10)
  })
})
