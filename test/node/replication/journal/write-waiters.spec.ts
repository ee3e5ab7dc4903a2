import { expect } from 'chai'
import { WriteWaiters } from '../../../../node/replication/journal/write-waiters.ts'
import type { OwnerEnv } from '../../../../node/replication/journal/owner-env.ts'

describe('WriteWaiters', () => {
  let now = 0
  let timers: Array<{ at: number, fn: () => void, cancelled: boolean }> = []
  const env: OwnerEnv = {
    call: async () => await Promise.reject(new Error('unused')),
    timer: (ms, fn) => {
      const t = { at: now + ms, fn, cancelled: false }
      timers.push(t)
      return () => { t.cancelled = true }
    },
    random: () => 0.5,
    now: () => now
  }
  const advance = (ms: number): void => {
    now += ms
    const due = timers.filter((t) => !t.cancelled && t.at <= now)
    timers = timers.filter((t) => !due.includes(t))
    for (const t of due) t.fn()
  }
  beforeEach(() => {
    now = 0
    timers = []
  })

  it('should resolve each write once its seq is acknowledged, in seq order, and at once when it was already', async () => {
    const late: number[] = []
    const waiters = new WriteWaiters(env, 1_000, (seq) => { late.push(seq) })
    const done: number[] = []
    const waits = [1, 2, 3].map((seq) => waiters.waitFor(seq, 0).then(() => { done.push(seq) }))
    waiters.acknowledged(2)
    await Promise.all(waits.slice(0, 2))
    expect(done).to.deep.equal([1, 2])
    await waiters.waitFor(2, 2)
    waiters.acknowledged(3)
    await waits[2]
    expect(done).to.deep.equal([1, 2, 3])
    expect(late).to.deep.equal([])
  })

  it('should say which write ran past its deadline with one timer for all, and fail every waiter when told', async () => {
    const late: number[] = []
    const waiters = new WriteWaiters(env, 1_000, (seq) => { late.push(seq) })
    const first = waiters.waitFor(5, 0)
    advance(500)
    const second = waiters.waitFor(6, 0)
    expect(timers.filter((t) => !t.cancelled)).to.have.length(1)
    advance(500)
    expect(late).to.deep.equal([5])
    waiters.rejectAll(new Error('the log failed'))
    for (const w of [first, second]) expect(await w.then(() => null, (e: Error) => e.message)).to.equal('the log failed')
    expect(timers.filter((t) => !t.cancelled)).to.have.length(0)
  })
})
