import { expect } from 'chai'
import * as grpc from '@grpc/grpc-js'
import { ActorStoppedError, AskTimeoutError, InvalidNameError, PermissionDeniedError, UnknownUserError, UserExistsError } from '../../../actors/index.ts'
import { decodeRetryStatus, loadRetryInfoTypes } from '../../../protocols/grpc/index.ts'
import { NotServingError, RateLimitedError, UnauthenticatedError } from '../../../protocols/index.ts'
import { InferenceQueueFullError, ModelMemoryError } from '../../../runtimes/index.ts'
import { MAX_DETAILS, SeqOutOfRangeError, statusOf } from '../../../node/grpc/index.ts'
import { NoOwnerError } from '../../../node/mesh/index.ts'
import { ReplicasUnavailableError } from '../../../node/replication/index.ts'

describe('statusOf (gRPC)', () => {
  const types = loadRetryInfoTypes()
  const code = (err: unknown): grpc.status => statusOf(err, types).status.code

  it('should give each kind of failure its one status', () => {
    expect(code(new InvalidNameError('room', 'a/b', 'no /'))).to.equal(grpc.status.INVALID_ARGUMENT)
    expect(code(new UnknownUserError('ann'))).to.equal(grpc.status.NOT_FOUND)
    expect(code(new UnauthenticatedError('missing token'))).to.equal(grpc.status.UNAUTHENTICATED)
    expect(code(new PermissionDeniedError('not yours'))).to.equal(grpc.status.PERMISSION_DENIED)
    expect(code(new UserExistsError('ann'))).to.equal(grpc.status.ALREADY_EXISTS)
    expect(code(new ModelMemoryError('no room'))).to.equal(grpc.status.RESOURCE_EXHAUSTED)
    expect(code(new AskTimeoutError('/x', 5))).to.equal(grpc.status.DEADLINE_EXCEEDED)
    expect(code(new NoOwnerError('room', 'chat'))).to.equal(grpc.status.UNAVAILABLE)
    expect(code(new NotServingError('stopping'))).to.equal(grpc.status.UNAVAILABLE)
    // gRPC has a status more precise than the kind for this one
    expect(code(new SeqOutOfRangeError('after: 5'))).to.equal(grpc.status.OUT_OF_RANGE)
  })

  it('should tell the client what to do where the message does not, and hide internal details', () => {
    expect(statusOf(new NoOwnerError('room', 'chat'), types).status.details).to.match(/; retry, or connect to another node$/)
    expect(statusOf(new AskTimeoutError('/x', 5), types).status.details).to.match(/; no answer in time \(a node overloaded, or a member it asked not reachable yet\); retry$/)
    // a message with its own advice to retry gets no second one; a lost quorum that stopped the
    // entity's activation leads with the quorum, not with the stop or a class name
    const lost = new ReplicasUnavailableError('room/r1', 'taking the entity', 2, 1, 'down: b')
    expect(statusOf(lost, types).status.details).to.equal('writes unavailable: 1 of the 2 replicas a write needs is reachable (room/r1, taking the entity: down: b); retry when more storage nodes are up')
    expect(statusOf(new ActorStoppedError('/entities/room/r1', lost), types).status).to.deep.equal({
      code: grpc.status.UNAVAILABLE,
      details: 'writes unavailable: 1 of the 2 replicas a write needs is reachable (room/r1, taking the entity: down: b); retry when more storage nodes are up (actor /entities/room/r1 stopped)'
    })
    expect(new ActorStoppedError('/x', new TypeError('boom')).message).to.equal('actor /x stopped: TypeError: boom')
    // a name that holds the word is no advice: the client still gets it
    expect(statusOf(new NoOwnerError('room/retry-1', 'chat'), types).status.details).to.match(/; retry, or connect to another node$/)
    const internal = statusOf(new TypeError('cannot read properties of undefined (reading "secret")'), types)
    expect(internal).to.deep.include({ internal: true })
    expect(internal.status).to.deep.include({ code: grpc.status.INTERNAL, details: 'internal error (TypeError); see the node\'s log' })
  })

  it('should never carry a message at length, whatever the error put in it, so that the status fits in HTTP/2 headers', () => {
    const echoed = new PermissionDeniedError(`user ${'u'.repeat(200_000)} may not ask another user's agent`)
    const { details } = statusOf(echoed, types).status
    expect(details.length).to.be.at.most(MAX_DETAILS)
    expect(details).to.match(/^user u+…$/)
    const limited = statusOf(new RateLimitedError('x'.repeat(5_000), 10), types).status
    expect(limited.details.length).to.be.at.most(MAX_DETAILS + 100)
    // the limit is in bytes (the message travels in a header), cut between code points
    const wide = statusOf(new PermissionDeniedError(`${'€'.repeat(332)}😀${'€'.repeat(1000)}`), types).status.details
    expect(wide).to.equal(`${'€'.repeat(332)}…`)
    expect(Buffer.byteLength(wide)).to.be.at.most(MAX_DETAILS)
  })

  it('should send how long to wait as retry-after-ms and a google.rpc.RetryInfo when the error knows it', () => {
    for (const err of [new RateLimitedError('slow down', 1234.5), new InferenceQueueFullError('queue full', 800)]) {
      const { status } = statusOf(err, types)
      const ms = Math.ceil(err.retryAfterMs)
      expect(status.metadata?.get('retry-after-ms')).to.deep.equal([String(ms)])
      const details = status.metadata?.get('grpc-status-details-bin')[0] as Buffer
      expect(decodeRetryStatus(types, details)).to.deep.include({ code: status.code, retryAfterMs: ms })
    }
    expect(statusOf(new UnknownUserError('ann'), types).status.metadata).to.equal(undefined)
  })
})
