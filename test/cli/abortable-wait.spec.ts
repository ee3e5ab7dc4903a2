import { expect } from 'chai'
import { abortableSleep, untilAborted } from '../../cli/abortable-wait.ts'

describe('abortable-wait', () => {
  it('should give the promise\'s value, or undefined once the signal aborts first', async () => {
    expect(await untilAborted(Promise.resolve(3), new AbortController().signal)).to.equal(3)
    const controller = new AbortController()
    const never = new Promise<number>(() => {})
    const waiting = untilAborted(never, controller.signal)
    controller.abort()
    expect(await waiting).to.equal(undefined)
    expect(await untilAborted(Promise.resolve(3), AbortSignal.abort())).to.equal(undefined)
  })

  it('should sleep to the end unless the signal aborts, and say which', async () => {
    expect(await abortableSleep(1, new AbortController().signal)).to.equal(true)
    const controller = new AbortController()
    const sleeping = abortableSleep(60_000, controller.signal)
    controller.abort()
    expect(await sleeping).to.equal(false)
    expect(await abortableSleep(60_000, AbortSignal.abort())).to.equal(false)
  })
})
