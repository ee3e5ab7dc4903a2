import { expect } from 'chai'
import * as jobs from '../../../node/jobs/errors.ts'
import { WireErrors } from '../../../node/mesh/index.ts'
import { kindOf } from '../../../protocols/index.ts'

const samples: Error[] = [
  new jobs.InvalidJobError('progress: done must be >= 0'),
  new jobs.UnknownJobError('drain-1-abcd', 'no job drain-1-abcd on any member'),
  new jobs.JobCancelledError('drain-1-abcd')
]

describe('jobs errors', () => {
  it('should have a sample here of every error class jobs exports, each named after its class, with its kind', () => {
    const classes = Object.values(jobs).filter((v) => typeof v === 'function' && (v as { prototype: unknown }).prototype instanceof Error)
    expect(samples.map((e) => e.constructor)).to.have.members(classes)
    for (const err of samples) expect(err.name).to.equal(err.constructor.name)
    expect(samples.map(kindOf)).to.deep.equal(['invalid', 'not-found', 'conflict'])
  })

  it('should keep the id of a job not found, and say a cancelled one was', () => {
    expect((samples[1] as jobs.UnknownJobError).id).to.equal('drain-1-abcd')
    expect(samples[2]?.message).to.equal('job drain-1-abcd was cancelled')
  })

  it('should cross the wire as themselves once the jobs folder\'s errors are handed in', () => {
    const wire = new WireErrors([jobs])
    for (const err of samples) expect(wire.fromWire(wire.toWire(err), 'p2'), err.name).to.be.instanceOf(err.constructor as new (...args: never[]) => Error)
  })
})
