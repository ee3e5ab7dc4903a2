import { expect } from 'chai'
import { contentMode } from '../../../node/web/grpc-web-routes.ts'

describe('grpc-web-routes contentMode', () => {
  it('should read binary and text gRPC-Web types, with or without +proto and parameters, and nothing else', () => {
    expect(['application/grpc-web', 'application/grpc-web+proto', 'Application/GRPC-Web+proto; charset=x'].map(contentMode)).to.deep.equal(['binary', 'binary', 'binary'])
    expect(['application/grpc-web-text', 'application/grpc-web-text+proto'].map(contentMode)).to.deep.equal(['text', 'text'])
    expect(['application/grpc-web+json', 'application/grpc', 'application/json', '', undefined].map(contentMode)).to.deep.equal([undefined, undefined, undefined, undefined, undefined])
  })
})
