import { expect } from 'chai'
import { sleepOn } from '../../../../node/replication/journal/owner-env.ts'
import type { OwnerEnv } from '../../../../node/replication/journal/owner-env.ts'

/** A clock the test moves by hand: what an owner waits for runs when the test says. */
function handClock (): { env: OwnerEnv, advance: (ms: number) => void, pending: () => number } {
  let now = 0
  let timers: Array<{ at: number, fn: () => void, cancelled: boolean }> = []
  const env: OwnerEnv = {
    call: async () => await Promise.reject(new Error('no replicas here')),
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
  return { env, advance, pending: () => timers.filter((t) => !t.cancelled).length }
}

describe('sleepOn', () => {
  it('should resolve once the env\'s clock passed the wait, not before', async () => {
    const { env, advance } = handClock()
    let done = false
    const slept = sleepOn(env, 100).then(() => { done = true })
    advance(99)
    await Promise.resolve()
    expect(done).to.equal(false)
    advance(1)
    await slept
    expect(done).to.equal(true)
  })

  it('should resolve as soon as the signal aborts, cancelling its timer, and at once when it already has', async () => {
    const { env, pending } = handClock()
    const abort = new AbortController()
    const slept = sleepOn(env, 10_000, abort.signal)
    expect(pending()).to.equal(1)
    abort.abort()
    await slept
    expect(pending()).to.equal(0)
    await sleepOn(env, 10_000, abort.signal)
    expect(pending()).to.equal(0)
  })
})
