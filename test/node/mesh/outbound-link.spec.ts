import { expect } from 'chai'
import type { Stream } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { ACTOR_PROTOCOL, ACTOR_PROTOCOL_TRACED, FRAME_BATCH, FrameReader, decodeFrame, encodeEnvelope } from '../../../protocols/p2p/index.ts'
import { OutboundLink, takeWrite } from '../../../node/mesh/outbound-link.ts'
import { transportStats } from '../../../node/mesh/transport-stats.ts'
import { useTestCluster } from '../../helpers/test-cluster.ts'
import { waitFor } from '../../helpers/wait-for.ts'

const PROTOCOL = '/plexi/test-sink/1.0.0'
const envelope = (n: number, pad = 0): Uint8Array => encodeEnvelope([3, String(n), 'x'.repeat(pad)])

describe('OutboundLink', function () {
  this.timeout(60_000)

  describe('takeWrite', () => {
    it('should cut the queue into frames of at most FRAME_BATCH envelopes, up to the bytes of one write, in order', () => {
      const queue = Array.from({ length: 300 }, (_, n) => envelope(n, 50))
      const size = queue.reduce((sum, e) => sum + e.byteLength, 0)
      const first = takeWrite(queue, 4096)
      expect(first.counts.every((c) => c >= 1 && c <= FRAME_BATCH)).to.equal(true)
      expect(first.counts.reduce((a, b) => a + b, 0)).to.equal(first.envelopes.length)
      expect(first.bytes).to.equal(first.envelopes.reduce((sum, e) => sum + e.byteLength, 0))
      // a write stops adding frames once it holds the bytes (its last frame may go past them)
      expect(first.bytes).to.be.at.least(4096).and.below(4096 + FRAME_BATCH * 70)
      const rest = takeWrite(queue, 1_000_000)
      expect(first.envelopes.length + rest.envelopes.length).to.equal(300)
      expect(first.bytes + rest.bytes).to.equal(size)
      expect(queue).to.deep.equal([])
    })
  })

  describe('a link to a real peer', () => {
    const net = useTestCluster()

    /** Two raw peers: `from` writes through a link, `to` reads and decodes every frame. */
    async function pair (): Promise<{ open: () => Promise<Stream>, streams: Stream[], received: Uint8Array[][], }> {
      const from = await net.rawPeer()
      const to = await net.rawPeer()
      const received: Uint8Array[][] = []
      await to.libp2p.handle(PROTOCOL, async (stream) => {
        const reader = new FrameReader()
        for await (const chunk of stream) {
          reader.push(chunk instanceof Uint8Array ? chunk : chunk.subarray(), (body) => { received.push(decodeFrame(body).map((e) => e as unknown as Uint8Array)) })
        }
      })
      const streams: Stream[] = []
      const target = peerIdFromString(to.peerId)
      await from.libp2p.dial(to.libp2p.getMultiaddrs()[0] as never)
      return {
        open: async () => {
          const stream = await from.libp2p.dialProtocol(target, PROTOCOL)
          streams.push(stream)
          return stream
        },
        streams,
        received
      }
    }

    it('should write a burst in order, handing the stream nothing more while it asks the writer to wait', async () => {
      const { open, streams, received } = await pair()
      // every write the link makes, and whether the stream had asked it to wait for 'drain' then
      const writes: boolean[] = []
      const watched = async (): Promise<Stream> => {
        const stream = await open()
        const send = stream.send.bind(stream)
        stream.send = (data) => {
          writes.push(stream.writableNeedsDrain)
          return send(data)
        }
        return stream
      }
      const stats = transportStats()
      const link = new OutboundLink({ peer: 'p', maxQueued: 8 * 1024 * 1024, writeBytes: 60 * 1024, stats, open: watched, lost: () => undefined, broken: () => undefined })
      const total = 4000
      for (let n = 0; n < total; n++) expect(link.enqueue(envelope(n, 1000))).to.equal('ok')
      // over the bound it refuses, as a full mailbox does
      expect(link.enqueue(new Uint8Array(8 * 1024 * 1024))).to.equal('full')
      await waitFor(() => received.flat().length === total, 'every envelope to arrive', { timeout: 30_000, interval: 10 })
      expect(link.bytes).to.equal(0)
      expect(streams).to.have.length(1)
      expect(stats.envelopesSent).to.equal(total)
      expect(writes.length).to.equal(stats.writes)
      // about 4 MB in writes of about 60 KiB, none made while the stream asked to wait
      expect(writes.length).to.be.within(60, 100)
      expect(writes.filter((waiting) => waiting)).to.deep.equal([])
      expect(received.flat().map((e) => (e as unknown as [number, string])[1])).to.deep.equal(Array.from({ length: total }, (_, n) => String(n)))
    })

    it('should break once: tell who sent on it that it is lost, refuse nothing silently, and reset its stream', async () => {
      const { open, streams } = await pair()
      const lost: string[] = []
      let broken = 0
      const link = new OutboundLink({ peer: 'p', maxQueued: 1024 * 1024, writeBytes: 60 * 1024, stats: transportStats(), open, lost: (_l, why) => { lost.push(why) }, broken: () => { broken++ } })
      expect(link.enqueue(envelope(1))).to.equal('ok')
      await waitFor(() => streams.length === 1, 'the stream to open')
      link.break('the peer was declared down')
      link.break('again')
      expect([link.broken, broken, lost]).to.deep.equal([true, 1, ['the peer was declared down']])
      await waitFor(() => streams[0]?.status !== 'open', 'the stream to be reset')
    })

    it('should say which asks never left when it breaks: the requests still queued', async () => {
      const lost: Array<{ why: string, unsent: readonly unknown[] }> = []
      // a peer whose process is gone: the stream cannot be opened
      const link = new OutboundLink({
        peer: 'p', maxQueued: 1024 * 1024, writeBytes: 60 * 1024, stats: transportStats(),
        open: async () => { throw new Error('connection refused') },
        lost: (_l, why, unsent) => { lost.push({ why, unsent }) },
        broken: () => undefined
      })
      expect(link.enqueue(envelope(1), { askId: 'a1', node: 'me' })).to.equal('ok')
      expect(link.enqueue(envelope(2))).to.equal('ok')
      expect(link.enqueue(envelope(3), { askId: 'f1', node: 'other' })).to.equal('ok')
      await waitFor(() => link.broken, 'the link to break')
      expect(lost).to.deep.equal([{ why: 'cannot open a stream: connection refused', unsent: [{ askId: 'a1', node: 'me' }, { askId: 'f1', node: 'other' }] }])
    })

    it('should open its stream when warmed, with nothing to send, once, and send on that stream after', async () => {
      const { open, streams, received } = await pair()
      const link = new OutboundLink({ peer: 'p', maxQueued: 1024 * 1024, writeBytes: 60 * 1024, stats: transportStats(), open, lost: () => undefined, broken: () => undefined })
      link.warm()
      link.warm()
      // a send while the warm-up still opens it shares the same open
      expect(link.enqueue(envelope(1))).to.equal('ok')
      await waitFor(() => received.flat().length === 1, 'the envelope to arrive')
      link.warm()
      expect(link.enqueue(envelope(2))).to.equal('ok')
      await waitFor(() => received.flat().length === 2, 'the second envelope to arrive')
      expect(streams).to.have.length(1)
    })

    describe('the trace field and the peer\'s version', () => {
      const TP = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01'
      const traced = encodeEnvelope([1, 'room', 'a', { type: 'post' }, 0, '', TP])

      /** A peer speaking `protocols`; the link offers 1.1.0 then 1.0.0, as the transport does. */
      async function peer (protocols: string[]): Promise<{ link: OutboundLink, received: unknown[][] }> {
        const from = await net.rawPeer()
        const to = await net.rawPeer()
        const received: unknown[][] = []
        await to.libp2p.handle(protocols, async (stream) => {
          const reader = new FrameReader()
          for await (const chunk of stream) reader.push(chunk instanceof Uint8Array ? chunk : chunk.subarray(), (body) => { received.push(...decodeFrame(body).map((e) => [...e])) })
        })
        await from.libp2p.dial(to.libp2p.getMultiaddrs()[0] as never)
        const target = peerIdFromString(to.peerId)
        const link = new OutboundLink({ peer: 'p', maxQueued: 1024 * 1024, writeBytes: 60 * 1024, stats: transportStats(), open: async () => await from.libp2p.dialProtocol(target, [ACTOR_PROTOCOL_TRACED, ACTOR_PROTOCOL]), lost: () => undefined, broken: () => undefined })
        return { link, received }
      }

      it('should send a peer of an earlier version (1.0.0 only) its envelopes without the trace field', async () => {
        const { link, received } = await peer([ACTOR_PROTOCOL])
        expect(link.traced, 'not known before a stream opens').to.equal(undefined)
        link.enqueue(traced, undefined, true)
        await waitFor(() => received.length === 1, 'the envelope to arrive')
        expect(link.traced).to.equal(false)
        expect(received[0]).to.deep.equal([1, 'room', 'a', { type: 'post' }, 0, ''])
        expect(link.bytes).to.equal(0)
      })

      it('should keep the trace field for a peer that answers 1.1.0', async () => {
        const { link, received } = await peer([ACTOR_PROTOCOL_TRACED, ACTOR_PROTOCOL])
        link.enqueue(traced, undefined, true)
        await waitFor(() => received.length === 1, 'the envelope to arrive')
        expect(link.traced).to.equal(true)
        expect(received[0]?.[6]).to.equal(TP)
      })
    })
  })
})
