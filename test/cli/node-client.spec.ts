import { expect } from 'chai'
import * as grpc from '@grpc/grpc-js'
import { CliError } from '../../cli/cli-errors.ts'
import { NodeClient, cliError, failureName, notConnected, tlsFailure } from '../../cli/node-client.ts'
import { runCli } from '../helpers/node-process.ts'

const serviceError = (code: number, details: string): grpc.ServiceError => Object.assign(new Error(details), { code, details, metadata: new grpc.Metadata() })

describe('NodeClient', function () {
  this.timeout(30_000)

  it('should say in one clean line that no node answers at an address', async () => {
    for (const args of [['chat', 'send', '--addr', '127.0.0.1:1', '--token', 't', '--room', 'r', 'hi'], ['agent', '--addr', '127.0.0.1:1', 'ask', '--token', 't', 'hi']]) {
      const result = await runCli(args)
      expect(result.code, args.join(' ')).to.equal(1)
      expect(result.stderr).to.equal('plexi: cannot reach a node at 127.0.0.1:1 (connect ECONNREFUSED 127.0.0.1:1); is it running? (--addr, PLEXI_ADDR)\n')
    }
  })

  it('should fail a call to no node with a CliError that says so and keeps the call\'s status', async () => {
    const client = new NodeClient('127.0.0.1:1', 'token')
    try {
      const err = await client.call('Join', { room: 'general' }).then(() => undefined, (e: unknown) => e as CliError)
      expect(err).to.be.instanceOf(CliError)
      expect(err?.message).to.match(/^cannot reach a node at 127\.0\.0\.1:1 \(.*ECONNREFUSED.*\); is it running\?/)
      expect(err?.call?.code).to.equal(grpc.status.UNAVAILABLE)
      expect(failureName(err as Error)).to.equal('UNAVAILABLE')
    } finally {
      client.close()
    }
  })

  it('should tell a call that never reached a node from a node\'s own UNAVAILABLE', () => {
    expect(notConnected({ code: grpc.status.UNAVAILABLE, details: 'No connection established. Last error: Error: connect ECONNREFUSED 127.0.0.1:1' })).to.equal(true)
    expect(notConnected({ code: grpc.status.UNAVAILABLE, details: 'write quorum lost: 1 of 3 replicas' })).to.equal(false)
    expect(notConnected({ code: grpc.status.DEADLINE_EXCEEDED, details: 'Failed to connect' })).to.equal(false)
    expect(cliError(serviceError(grpc.status.UNAVAILABLE, 'write quorum lost'), '127.0.0.1:7400').message).to.equal('UNAVAILABLE: write quorum lost')
    expect(cliError(serviceError(grpc.status.PERMISSION_DENIED, 'not yours'), '127.0.0.1:7400').message).to.equal('PERMISSION_DENIED: not yours')
    expect(tlsFailure(serviceError(grpc.status.INVALID_ARGUMENT, 'x'), '127.0.0.1:7400', undefined)).to.equal(undefined)
    expect(failureName(new Error('plain'))).to.equal('Error')
  })
})
