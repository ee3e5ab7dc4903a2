import { expect } from 'chai'
import * as kernelErrors from '../../../actors/kernel/errors.ts'
import { ActorStoppedError, JournalWriteError, SupervisorIntensityError, isSuperseded } from '../../../actors/index.ts'
import { ERROR_KINDS, errorClasses, errorData, isErrorKind, kindOf, rebuildError } from '../../../protocols/index.ts'

describe('kernel errors', () => {
  const classes = errorClasses(kernelErrors)

  it('should give every error class its own name and one canonical kind', () => {
    expect(classes.size).to.be.at.least(15)
    for (const [name, Class] of classes) {
      const made = new (Class as unknown as new (...args: unknown[]) => Error)('x', ['y'], 1, 2, 'z')
      expect(made.name, name).to.equal(name)
      expect(isErrorKind((made as { kind?: unknown }).kind), `${name}.kind`).to.equal(true)
    }
  })

  it('should survive the wire as data, rebuilt with its class, kind and fields', () => {
    const cause = Object.assign(new Error('epoch 1 is stale'), { name: 'StaleEpochError', kind: 'unavailable', superseded: true })
    const stopped = new ActorStoppedError('account/a', cause)
    const rebuilt = rebuildError(errorData(stopped), classes, 'peer-b')
    expect(rebuilt).to.be.instanceOf(ActorStoppedError)
    expect([rebuilt.name, kindOf(rebuilt), rebuilt.message]).to.deep.equal(['ActorStoppedError', 'unavailable', stopped.message])
    expect(isSuperseded(rebuilt), 'the superseded mark crosses the wire').to.equal(true)
    expect(ERROR_KINDS).to.include(kindOf(new JournalWriteError('a/b', cause)))
  })

  it('should find the superseded mark anywhere along the cause chain, up to a bounded depth', () => {
    const marked = { superseded: true }
    let chain: unknown = marked
    for (let i = 0; i < 7; i++) chain = { cause: chain }
    expect(isSuperseded(chain)).to.equal(true)
    expect(isSuperseded({ cause: chain }), 'deeper than 8 links').to.equal(false)
    expect([isSuperseded(undefined), isSuperseded('superseded'), isSuperseded({ superseded: 'yes' })]).to.deep.equal([false, false, false])
    expect(new JournalWriteError('a/b', Object.assign(new Error('x'), { superseded: true })).superseded).to.equal(true)
  })

  it('should word a stop caused by the cluster\'s state for the client, and any other cause after the actor', () => {
    const unavailable = Object.assign(new Error('writes unavailable: 1 of 3 replicas answered'), { kind: 'unavailable' })
    expect(new ActorStoppedError('room/a', unavailable).message).to.equal('writes unavailable: 1 of 3 replicas answered (actor room/a stopped)')
    expect(new ActorStoppedError('room/a', new RangeError('bad')).message).to.equal('actor room/a stopped: RangeError: bad')
    expect(new ActorStoppedError('room/a').message).to.equal('actor room/a is stopped')
    const intensity = new SupervisorIntensityError('/sup', '/sup/w', 3, 1000, new Error('boom'))
    expect([intensity.supervisor, intensity.message]).to.deep.equal(['/sup', '/sup: more than 3 restarts within 1000 ms (last: /sup/w: Error: boom)'])
    expect((intensity.cause as Error).message).to.equal('boom')
  })
})
