import { expect } from 'chai'
import * as grpc from '@grpc/grpc-js'
import { agentCaller, authenticateCall } from '../../../node/grpc/call-auth.ts'
import { GrpcServices } from '../../helpers/grpc-services.ts'
import { rejection } from '../../helpers/thrown.ts'

describe('call auth (real user accounts)', function () {
  this.timeout(30_000)
  let s: GrpcServices
  const limited: string[] = []
  const deps = () => ({ accepting: () => s.accepting, users: s.users, limitUser: (user: string) => { limited.push(user) } })
  const withHeader = (value?: string): { metadata: grpc.Metadata } => {
    const metadata = new grpc.Metadata()
    if (value !== undefined) metadata.set('authorization', value)
    return { metadata }
  }

  beforeEach(async () => {
    limited.length = 0
    s = await GrpcServices.start()
  })
  afterEach(async () => { await s.stop() })

  it('should name the user of a bearer token and count the call against its rate, when the token is valid', async () => {
    expect(await authenticateCall(withHeader(`Bearer ${s.annToken}`), deps())).to.equal('ann')
    expect(limited).to.deep.equal(['ann'])
  })

  it('should refuse a missing, malformed or unknown token, and any call while the node does not serve, counting none', async () => {
    for (const [header, message] of [
      [undefined, 'missing token: send metadata "authorization: Bearer <token>"'],
      [`Basic ${s.annToken}`, 'missing token: send metadata "authorization: Bearer <token>"'],
      ['Bearer plxu_not-a-token', 'invalid or revoked token']
    ] as const) {
      const err = await rejection(async () => await authenticateCall(withHeader(header), deps()))
      expect([err.name, err.message]).to.deep.equal(['UnauthenticatedError', message])
    }
    s.accepting = false
    expect((await rejection(async () => await authenticateCall(withHeader(`Bearer ${s.annToken}`), deps()))).name).to.equal('NotServingError')
    expect(limited).to.deep.equal([])
  })

  it('should let a caller reach its own agent (its name or empty), and refuse another user\'s with PermissionDeniedError', async () => {
    expect(await agentCaller(withHeader(`Bearer ${s.annToken}`), deps(), '')).to.equal('ann')
    expect(await agentCaller(withHeader(`Bearer ${s.annToken}`), deps(), 'ann')).to.equal('ann')
    const err = await rejection(async () => await agentCaller(withHeader(`Bearer ${s.annToken}`), deps(), `bob${'x'.repeat(100)}`))
    expect(err.name).to.equal('PermissionDeniedError')
    expect(err.message).to.match(/^ann may not talk to bobx+…'s agent; only its own user may$/)
  })
})
