import { expect } from 'chai'
import * as grpc from '@grpc/grpc-js'
import { CliError } from '../../cli/cli-errors.ts'
import { cliError } from '../../cli/node-client.ts'
import { POST_RETRY_DELAYS_MS } from '../../cli/constants.ts'
import { postFailure, postWithRetries } from '../../cli/post-outcome.ts'

/** A failed call as grpc-js hands it to the CLI. */
function failed (code: grpc.status, details: string): CliError {
  const err = Object.assign(new Error(`${code} ${grpc.status[code]}: ${details}`), { code, details, metadata: new grpc.Metadata() }) as grpc.ServiceError
  return cliError(err, '127.0.0.1:7400')
}

/** A node's own UNAVAILABLE for a lost quorum (it names a connection it could not open to a peer). */
const QUORUM_LOST = 'writes unavailable: 1 of the 2 replicas a write needs is reachable (room/r1, taking the entity: peer 12D3KooWPE is unreachable: cannot open a stream: connection error 127.0.0.1:45819: connect ECONNREFUSED 127.0.0.1:45819); retry when more storage nodes are up (actor /entities/room/r1 stopped)'

describe('post outcome', () => {
  it('should call a post unknown when it reached a node and no acknowledgement came, never not sent', () => {
    for (const [code, details] of [
      [grpc.status.DEADLINE_EXCEEDED, 'Deadline exceeded after 15.001s'],
      [grpc.status.UNAVAILABLE, 'Connection dropped'],
      [grpc.status.UNAVAILABLE, QUORUM_LOST],
      [grpc.status.INTERNAL, 'internal error (TypeError); see the node\'s log'],
      [grpc.status.CANCELLED, 'Call cancelled']
    ] as const) {
      expect(postFailure(failed(code, details)), `${grpc.status[code]}: ${details}`).to.equal('unknown')
    }
    expect(postFailure(new Error('something else')), 'an error of no call').to.equal('unknown')
  })

  it('should call a post refused when the node answered no, and not sent when no node was reached', () => {
    for (const code of [grpc.status.INVALID_ARGUMENT, grpc.status.UNAUTHENTICATED, grpc.status.PERMISSION_DENIED, grpc.status.RESOURCE_EXHAUSTED, grpc.status.NOT_FOUND]) {
      expect(postFailure(failed(code, 'no')), grpc.status[code]).to.equal('refused')
    }
    expect(postFailure(failed(grpc.status.UNAVAILABLE, 'No connection established. Last error: Error: connect ECONNREFUSED 127.0.0.1:1. Resolution note: '))).to.equal('not-sent')
  })

  it('should say a node cannot be reached only when the call did not reach one, not for a node\'s own UNAVAILABLE that names a connection', () => {
    expect(failed(grpc.status.UNAVAILABLE, 'No connection established. Last error: Error: connect ECONNREFUSED 127.0.0.1:1. Resolution note: ').message)
      .to.equal('cannot reach a node at 127.0.0.1:7400 (connect ECONNREFUSED 127.0.0.1:1); is it running? (--addr, PLEXI_ADDR)')
    expect(failed(grpc.status.UNAVAILABLE, QUORUM_LOST).message).to.equal(`UNAVAILABLE: ${QUORUM_LOST}`)
  })

  it('should try a post whose outcome is unknown again, with the same request, until it is acknowledged', async () => {
    const outcomes: Array<Error | string> = [failed(grpc.status.DEADLINE_EXCEEDED, 'Deadline exceeded'), failed(grpc.status.UNAVAILABLE, QUORUM_LOST), 'ack']
    const slept: number[] = []
    const heard: string[] = []
    let calls = 0
    const result = await postWithRetries(async () => {
      const next = outcomes[calls++]
      if (next instanceof Error) throw next
      return next
    }, { sleep: async (ms) => { slept.push(ms) }, onUnknown: (err) => { heard.push(err.message.split(':')[0] as string) } })
    expect(result).to.deep.equal({ outcome: 'acknowledged', ack: 'ack', tries: 3 })
    expect(slept).to.deep.equal(POST_RETRY_DELAYS_MS.slice(0, 2))
    expect(heard).to.deep.equal(['DEADLINE_EXCEEDED', 'UNAVAILABLE'])
  })

  it('should end unknown once an outcome was unknown, whatever the later tries say, and at once for a refusal or a post never sent', async () => {
    const run = async (errors: readonly CliError[]): Promise<{ outcome: string, tries: number }> => {
      let calls = 0
      const result = await postWithRetries(async () => { throw errors[Math.min(calls++, errors.length - 1)] as Error }, { sleep: async () => undefined })
      return { outcome: result.outcome, tries: result.tries }
    }
    const unknown = failed(grpc.status.UNAVAILABLE, QUORUM_LOST)
    const notSent = failed(grpc.status.UNAVAILABLE, 'No connection established. Last error: Error: connect ECONNREFUSED 127.0.0.1:1')
    const refused = failed(grpc.status.INVALID_ARGUMENT, 'text: must not be empty')
    expect(await run([unknown])).to.deep.equal({ outcome: 'unknown', tries: POST_RETRY_DELAYS_MS.length + 1 })
    expect(await run([unknown, notSent])).to.deep.equal({ outcome: 'unknown', tries: POST_RETRY_DELAYS_MS.length + 1 })
    expect(await run([unknown, refused])).to.deep.equal({ outcome: 'unknown', tries: 2 })
    expect(await run([refused])).to.deep.equal({ outcome: 'refused', tries: 1 })
    expect(await run([notSent])).to.deep.equal({ outcome: 'not-sent', tries: 1 })
  })
})
