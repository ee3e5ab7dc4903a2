import { expect } from 'chai'
import type { Stream } from '@libp2p/interface'
import { readActorStream } from '../../../node/mesh/inbound-stream.ts'
import { ENVELOPE, encodeEnvelope, encodeFrame } from '../../../protocols/p2p/index.ts'
import type { Envelope } from '../../../protocols/p2p/index.ts'
import { waitFor } from '../../helpers/wait-for.ts'
import { MeshNodes, clusterKey } from './fixtures/mesh-nodes.ts'
import type { MeshNode } from './fixtures/mesh-nodes.ts'

const ACTOR_TEST_PROTOCOL = '/plexi-test/actor-stream/1.0.0'

describe('readActorStream (real libp2p streams on loopback)', function () {
  this.timeout(30_000)
  const nodes = new MeshNodes()
  let reader: MeshNode
  let sender: MeshNode
  let frames: Envelope[][]
  let failures: Error[]
  let inbound: Stream[]

  beforeEach(async () => {
    const psk = clusterKey()
    reader = await nodes.start(psk)
    sender = await nodes.start(psk)
    frames = []
    failures = []
    inbound = []
    await reader.libp2p.handle(ACTOR_TEST_PROTOCOL, (stream) => {
      inbound.push(stream)
      readActorStream(stream, { envelopes: (e) => { frames.push(e) }, failed: (err) => { failures.push(err) } })
    })
  })
  afterEach(async () => { await nodes.stopAll() })

  const open = async (): Promise<Stream> => await sender.libp2p.dialProtocol(reader.libp2p.getMultiaddrs(), ACTOR_TEST_PROTOCOL)
  const reply = (askId: string, value: unknown): Envelope => [ENVELOPE.REPLY, askId, value]

  it('should hand each frame\'s envelopes over in order, frames split across chunks included, and close when the peer is done', async () => {
    const stream = await open()
    const one = encodeFrame([encodeEnvelope(reply('a1', 1)), encodeEnvelope(reply('a2', 2))])
    const two = encodeFrame([encodeEnvelope(reply('a3', 'three'))])
    stream.send(one.subarray(0, 3))
    stream.send(Uint8Array.from([...one.subarray(3), ...two]))
    await waitFor(() => frames.length === 2, 'both frames', { timeout: 5_000, interval: 5 })
    expect(frames).to.deep.equal([[reply('a1', 1), reply('a2', 2)], [reply('a3', 'three')]])
    await stream.close()
    await waitFor(() => inbound[0]?.status !== 'open', 'the reader to close its end', { timeout: 5_000, interval: 5 })
    expect(failures).to.deep.equal([])
  })

  it('should refuse a frame that breaks the protocol, using none of it, and abort the stream', async () => {
    const stream = await open()
    const good = encodeFrame([encodeEnvelope(reply('a1', 1))])
    const garbage = encodeFrame([new Uint8Array([0xc1, 0xc1, 0xc1])])
    stream.send(Uint8Array.from([...good, ...garbage, ...good]))
    await waitFor(() => failures.length === 1, 'the reader to refuse the frame', { timeout: 5_000, interval: 5 })
    expect(failures[0]?.name).to.equal('InvalidFrameError')
    expect(frames).to.deep.equal([[reply('a1', 1)]])
    await waitFor(() => inbound[0]?.status !== 'open', 'the stream to be aborted', { timeout: 5_000, interval: 5 })
  })
})
