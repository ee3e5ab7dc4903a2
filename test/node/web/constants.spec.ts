import { expect } from 'chai'
import { MAX_RECEIVE_BYTES } from '../../../node/grpc/index.ts'
import { BINARY_TYPES, NOT_METADATA, TEXT_TYPES, textBodyLimit } from '../../../node/web/constants.ts'

describe('web constants', () => {
  it('should let a text-mode body hold the base64 of the largest message the gRPC server takes, framed', () => {
    expect(textBodyLimit(MAX_RECEIVE_BYTES)).to.be.at.least(Buffer.alloc(MAX_RECEIVE_BYTES + 5).toString('base64').length)
  })

  it('should keep the token and trace context as metadata, and the types apart', () => {
    for (const key of ['authorization', 'traceparent', 'tracestate', 'x-forwarded-for']) expect(NOT_METADATA.has(key), key).to.equal(false)
    expect([...BINARY_TYPES].some((t) => TEXT_TYPES.has(t))).to.equal(false)
  })
})
