import { expect } from 'chai'
import * as grpc from '@grpc/grpc-js'
import { AuthThrottledError, BodyTooDeepError, TooManyStreamsError } from '../../../node/limits/index.ts'
import { statusOf } from '../../../node/grpc/index.ts'
import { backendError } from '../../../node/openai/openai-error.ts'
import { loadRetryInfoTypes } from '../../../protocols/grpc/index.ts'
import { kindOf } from '../../../protocols/index.ts'

describe('limits errors', () => {
  it('should name each refusal and give it its kind, and carry when to retry for a throttled address', () => {
    const throttled = new AuthThrottledError('too many failed authentications', 30_000)
    expect([throttled.name, kindOf(throttled), throttled.retryAfterMs]).to.deep.equal(['AuthThrottledError', 'exhausted', 30_000])
    expect([new TooManyStreamsError('x').name, kindOf(new TooManyStreamsError('x'))]).to.deep.equal(['TooManyStreamsError', 'exhausted'])
    expect([new BodyTooDeepError('x').name, kindOf(new BodyTooDeepError('x'))]).to.deep.equal(['BodyTooDeepError', 'invalid'])
  })

  it('should be answered as every endpoint answers its kind: RESOURCE_EXHAUSTED with retry info, 429 with Retry-After, 400 body_too_deep', () => {
    const { status } = statusOf(new AuthThrottledError('too many', 2_500), loadRetryInfoTypes())
    expect(status.code).to.equal(grpc.status.RESOURCE_EXHAUSTED)
    expect(status.metadata?.get('retry-after-ms')).to.deep.equal(['2500'])
    expect(backendError(new AuthThrottledError('too many', 2_500))).to.deep.include({ status: 429, retryAfter: 3 })
    expect(backendError(new TooManyStreamsError('at most 2'))).to.deep.include({ status: 429, retryAfter: 1 })
    expect(backendError(new BodyTooDeepError('too deep')).body.error).to.deep.include({ code: 'body_too_deep' })
  })
})
