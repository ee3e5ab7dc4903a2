import { expect } from 'chai'
import { lateAwareDeadline } from '../../../node/mesh/late-aware-deadline.ts'

describe('lateAwareDeadline (local health: this node\'s own lateness is no verdict)', () => {
  it('should say a deadline whose timer fired far past its time was late, not missed', async () => {
    const deadline = lateAwareDeadline(20)
    // this event loop is busy for many times the wait (a long task, a GC pause)
    const until = performance.now() + 400
    while (performance.now() < until) { /* busy */ }
    expect(await deadline.promise).to.equal('late')
  })

  it('should let an answer already read win over the deadline, and never fire once cleared', async () => {
    const deadline = lateAwareDeadline(10)
    const answer = new Promise<'ack'>((resolve) => { setTimeout(() => { resolve('ack') }, 0) })
    expect(await Promise.race([answer, deadline.promise])).to.equal('ack')
    deadline.clear()
    let fired = false
    void deadline.promise.then(() => { fired = true })
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect(fired).to.equal(false)
  })
})
