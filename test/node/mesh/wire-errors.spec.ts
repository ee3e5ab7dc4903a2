import { expect } from 'chai'
import { MailboxFullError } from '../../../actors/index.ts'
import * as inference from '../../../node/inference/index.ts'
import { ModelNotWarmError, NoModelError } from '../../../node/inference/index.ts'
import { NoOwnerError, PeerUnreachableError } from '../../../node/mesh/errors.ts'
import { WireErrors } from '../../../node/mesh/wire-errors.ts'
import * as replication from '../../../node/replication/index.ts'
import { ReplicasUnavailableError, StaleEpochError } from '../../../node/replication/index.ts'
import { RateLimitedError, isErrorData, kindOf } from '../../../protocols/index.ts'

describe('WireErrors', () => {
  it('should rebuild the errors of the folders below the mesh, and its own, as their own classes with no module handed in', () => {
    const wire = new WireErrors()
    for (const err of [new NoOwnerError('room', 'chat'), new PeerUnreachableError('p9', 'gone'), new MailboxFullError('room/r', 8), new RateLimitedError('slow down', 1_000)]) {
      const data = wire.toWire(err)
      expect(isErrorData(data), err.name).to.equal(true)
      const back = wire.fromWire(data, 'p2')
      expect(back, err.name).to.be.instanceOf(err.constructor as new (...args: never[]) => Error)
      expect(back.name).to.equal(err.name)
      expect(back.message).to.equal(err.message)
      expect(kindOf(back)).to.equal(kindOf(err))
      expect(back.stack).to.include('at peer p2')
    }
  })

  it('should rebuild the errors of inference and replication as their own classes, with their fields, once their modules are handed in', () => {
    const wire = new WireErrors([inference, replication])
    const quorum = wire.fromWire(wire.toWire(new ReplicasUnavailableError('room/r', 'appending', 2, 1)), 'p2')
    expect(quorum).to.be.instanceOf(ReplicasUnavailableError)
    expect(quorum).to.include({ needed: 2, answered: 1, entity: 'room/r', op: 'write' })
    expect(wire.fromWire(wire.toWire(new ModelNotWarmError('not warm')), 'p2')).to.be.instanceOf(ModelNotWarmError)
    expect(wire.fromWire(wire.toWire(new NoModelError('none')), 'p2')).to.be.instanceOf(NoModelError)
    expect(wire.fromWire(wire.toWire(new StaleEpochError('room/r', 3, 4)), 'p2')).to.be.instanceOf(StaleEpochError)
    expect(wire.knows('ReplicasUnavailableError')).to.equal(true)
    expect(wire.knows('ModelNotWarmError')).to.equal(true)
  })

  it('should rebuild an error of a folder it was not handed as a plain Error that keeps its name, kind and fields', () => {
    const wire = new WireErrors()
    expect(wire.knows('ModelNotWarmError')).to.equal(false)
    const back = wire.fromWire(wire.toWire(new ReplicasUnavailableError('room/r', 'appending', 2, 1)), 'p2')
    expect(back).to.not.be.instanceOf(ReplicasUnavailableError)
    expect(back).to.be.instanceOf(Error)
    expect(back.name).to.equal('ReplicasUnavailableError')
    expect(kindOf(back)).to.equal('unavailable')
    expect(back).to.include({ needed: 2, answered: 1 })
  })

  it('should take only the Error classes of a module, whatever else it exports', () => {
    const wire = new WireErrors([{ notAnError: 5, alsoNot: () => undefined, ModelNotWarmError }])
    expect(wire.knows('ModelNotWarmError')).to.equal(true)
    expect(wire.knows('notAnError')).to.equal(false)
    expect(wire.knows('alsoNot')).to.equal(false)
  })
})
