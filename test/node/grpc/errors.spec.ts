import { expect } from 'chai'
import * as grpc from '@grpc/grpc-js'
import { SeqOutOfRangeError, StreamLimitError, ToolsNotSetUpError, statusOf } from '../../../node/grpc/index.ts'
import { loadRetryInfoTypes } from '../../../protocols/grpc/index.ts'
import { kindOf } from '../../../protocols/index.ts'

describe('gRPC errors', () => {
  const retryTypes = loadRetryInfoTypes()

  it('should name each error and give it its kind, so that every endpoint maps it, when thrown', () => {
    for (const [err, name, kind] of [[new SeqOutOfRangeError('x'), 'SeqOutOfRangeError', 'invalid'], [new StreamLimitError('y'), 'StreamLimitError', 'exhausted'], [new ToolsNotSetUpError('z'), 'ToolsNotSetUpError', 'unavailable']] as const) {
      expect([err.name, err.kind, kindOf(err)]).to.deep.equal([name, kind, kind])
    }
  })

  it('should answer a seq out of range with OUT_OF_RANGE and a stream past the limit with RESOURCE_EXHAUSTED, with their messages', () => {
    expect(statusOf(new SeqOutOfRangeError('after: 5 is beyond'), retryTypes).status).to.deep.include({ code: grpc.status.OUT_OF_RANGE, details: 'after: 5 is beyond' })
    expect(statusOf(new StreamLimitError('at most 64'), retryTypes).status).to.deep.include({ code: grpc.status.RESOURCE_EXHAUSTED, details: 'at most 64' })
    expect(statusOf(new ToolsNotSetUpError('no tools here'), retryTypes).status.code).to.equal(grpc.status.UNIMPLEMENTED)
  })
})
