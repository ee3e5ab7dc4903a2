import { expect } from 'chai'
import { StreamStateError } from '@libp2p/interface'
import { multiaddrConnectionPair } from '@libp2p/utils'
import { Uint8ArrayList } from 'uint8arraylist'
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

  describe('window updates', () => {
    /** A pair whose server side counts the window-update frames (yamux type 1) it sends; the
     * server reads every stream opened to it whole and answers with the byte count. */
    function countingPair () {
      const [a, b] = multiaddrConnectionPair()
      const sent = { windowUpdates: 0 }
      const server = b as unknown as { send: (data: Uint8Array | Uint8ArrayList) => boolean }
      const send = server.send.bind(b)
      server.send = (data) => {
        // a frame is a 12-byte header (version, type, flags, stream id, length) and its body: a
        // window update with no flag (no SYN, ACK, FIN or RST) only gives room
        const bytes = data instanceof Uint8ArrayList ? data.subarray() : data
        if (bytes.byteLength === 12 && bytes[1] === 1 && bytes[3] === 0) sent.windowUpdates++
        return send(data)
      }
      const client = guardedYamux()().createStreamMuxer(a as never)
      const muxer = guardedYamux()().createStreamMuxer(b as never)
      muxer.addEventListener('stream', (evt) => {
        const stream = evt.detail
        void (async () => {
          let bytes = 0
          for await (const chunk of stream) bytes += chunk.byteLength
          stream.send(new TextEncoder().encode(String(bytes)))
          await stream.close()
        })()
      })
      const close = (): void => { a.abort(new Error('test over')); b.abort(new Error('test over')) }
      return { client, sent, close }
    }

    /** Writes `chunks` chunks of `size` bytes on a new stream, waiting for room whenever the
     * stream asks to drain; resolves with what the server counted. */
    async function transfer (client: ReturnType<typeof countingPair>['client'], chunks: number, size: number): Promise<number> {
      const stream = await client.createStream()
      for (let i = 0; i < chunks; i++) {
        if (!stream.send(new Uint8Array(size).fill(i % 251))) await new Promise((resolve) => stream.addEventListener('drain', resolve, { once: true }))
      }
      await stream.close()
      let answer = ''
      for await (const chunk of stream) answer += new TextDecoder().decode(chunk.subarray())
      return Number(answer)
    }

    it('should give a stream\'s window back once half of it is consumed, not after every frame (one frame and packet more each way)', async () => {
      const { client, sent, close } = countingPair()
      try {
        // 200 messages of 500 bytes: 100 KB, under half of the 256 KiB window
        expect(await transfer(client, 200, 500)).to.equal(100_000)
        // none without a flag (yamux 8.0.1 alone sent one per message received: 199 here)
        expect(sent.windowUpdates).to.equal(0)
      } finally {
        close()
      }
    })

    it('should carry a transfer of many windows whole, the window given back as it is consumed', async () => {
      const { client, sent, close } = countingPair()
      try {
        // 4 MiB in 16 KiB frames: 16 windows of 256 KiB; a sender that waited on a window never
        // given back would never finish
        expect(await transfer(client, 256, 16 * 1024)).to.equal(4 * 1024 * 1024)
        expect(sent.windowUpdates).to.be.within(2, 64)
      } finally {
        close()
      }
    })
  })
})
