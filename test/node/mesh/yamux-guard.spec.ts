import { expect } from 'chai'
import { StreamStateError } from '@libp2p/interface'
import { multiaddrConnectionPair } from '@libp2p/utils'
import { guardedYamux } from '../../../node/mesh/yamux-guard.ts'

/** A muxer pair over an in-memory connection; `breakSend` makes the client side's connection refuse
 * every send with `err` (as an encrypted stream closed under the muxer does), and close a moment later. */
function pair () {
  const [a, b] = multiaddrConnectionPair()
  const client = guardedYamux()().createStreamMuxer(a as never)
  const server = guardedYamux()().createStreamMuxer(b as never)
  const breakSend = (err: Error): void => {
    ;(a as unknown as { send: () => boolean }).send = () => { throw err }
    // closed a moment later, both ends: nothing of this pair is left running after its test
    setImmediate(() => { a.abort(new Error('connection closed')); b.abort(new Error('connection closed')) })
  }
  return { client, server, breakSend }
}

const settle = async (): Promise<void> => { await new Promise((resolve) => setTimeout(resolve, 20)) }

describe('guardedYamux', () => {
  it('should abort a stream opened as its connection closed, where yamux threw from a microtask (an uncaught exception stopped the node)', async () => {
    const { client, breakSend } = pair()
    // newStream queues the stream's first window update; the connection closes before it runs
    const opened = client.createStream()
    breakSend(new StreamStateError('Cannot write to a stream that is closed'))
    const stream = await opened
    await settle()
    // an uncaught exception here fails the test (mocha reports it); the stream says what happened
    expect((stream as unknown as { status: string }).status).to.equal('aborted')
  })

  it('should leave a muxer whose connection closed for writing closed, its go-away not sent and nothing thrown', async () => {
    const { client, server, breakSend } = pair()
    const open = await client.createStream()
    breakSend(new StreamStateError('Cannot write to a stream that is closed'))
    // the server pings: the client's answer cannot be sent, it aborts, and its go-away is skipped
    void server.createStream().catch(() => undefined)
    await settle()
    expect((open as unknown as { status: string }).status).to.not.equal('open')
    expect((client as unknown as { status: string }).status).to.not.equal('open')
  })

  it('should throw any other error as before', async () => {
    const [a, b] = multiaddrConnectionPair()
    const client = guardedYamux()().createStreamMuxer(a as never)
    guardedYamux()().createStreamMuxer(b as never)
    await settle()
    const sending = a as unknown as { send: (...args: unknown[]) => boolean }
    const send = sending.send
    sending.send = () => { throw new TypeError('a bug') }
    try {
      expect(() => { (client as unknown as { sendGoAway: () => void }).sendGoAway() }).to.throw(TypeError, 'a bug')
    } finally {
      // nothing left to throw later, in another test: the connection's sends restored, both ends closed
      sending.send = send
      a.abort(new Error('test over'))
      b.abort(new Error('test over'))
      await settle()
    }
  })
})
