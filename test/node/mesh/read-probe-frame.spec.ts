import { expect } from 'chai'
import { readProbeFrame } from '../../../node/mesh/read-probe-frame.ts'
import { MAX_PROBE_FRAME_BYTES, PROBE, encodeProbe } from '../../../protocols/p2p/index.ts'
import { waitFor } from '../../helpers/wait-for.ts'
import { MeshNodes, clusterKey } from './fixtures/mesh-nodes.ts'
import type { MeshNode } from './fixtures/mesh-nodes.ts'

const READ_PROTOCOL = '/plexi-test/probe-read/1.0.0'

describe('readProbeFrame (real libp2p streams on loopback)', function () {
  this.timeout(30_000)
  const nodes = new MeshNodes()
  let reader: MeshNode
  let sender: MeshNode
  /** What each stream to the reader came to: its frame, or the error it was refused with. */
  let outcomes: unknown[]

  beforeEach(async () => {
    const psk = clusterKey()
    reader = await nodes.start(psk)
    sender = await nodes.start(psk)
    outcomes = []
    await reader.libp2p.handle(READ_PROTOCOL, (stream) => {
      readProbeFrame(stream, AbortSignal.timeout(5_000)).then((frame) => { outcomes.push(frame) }, (err: unknown) => { outcomes.push(err) })
    })
  })
  afterEach(async () => { await nodes.stopAll() })

  /** Sends `chunks` on a fresh stream, then ends it (or not); resolves with what the reader made of it. */
  const send = async (chunks: Uint8Array[], end = true): Promise<unknown> => {
    const before = outcomes.length
    const stream = await sender.libp2p.dialProtocol(reader.libp2p.getMultiaddrs(), READ_PROTOCOL)
    for (const c of chunks) stream.send(c)
    if (end) await stream.close().catch(() => undefined)
    await waitFor(() => outcomes.length > before, 'the reader to decide', { timeout: 10_000, interval: 5 })
    if (stream.status === 'open') stream.abort(new Error('done'))
    return outcomes[before]
  }

  it('should read the one frame a stream carries, whole or cut into pieces', async () => {
    expect(await send([encodeProbe([PROBE.PING, 7, 2])])).to.deep.equal([PROBE.PING, 7, 2])
    const bytes = encodeProbe([PROBE.ACK, 9])
    expect(await send([bytes.subarray(0, 1), bytes.subarray(1)])).to.deep.equal([PROBE.ACK, 9])
  })

  it('should refuse a stream with more than its frame, a frame over the limit, or an end before the frame', async () => {
    const frame = encodeProbe([PROBE.PING, 1, 0])
    const refused = [
      await send([Uint8Array.from([...frame, ...frame])]),
      await send([Uint8Array.from([...frame, 0x00])]),
      await send([new Uint8Array(MAX_PROBE_FRAME_BYTES + 8)]),
      await send([frame.subarray(0, 2)]),
      await send([])
    ]
    for (const [i, err] of refused.entries()) expect(err, `case ${i}`).to.be.instanceOf(Error)
    expect((refused[0] as Error).name).to.equal('InvalidFrameError')
    expect((refused[3] as Error).message).to.match(/ended before its frame/)
  })

  it('should give up when its signal aborts before the frame came', async () => {
    const controller = new AbortController()
    controller.abort(new Error('the probe is over'))
    const stream = await sender.libp2p.dialProtocol(reader.libp2p.getMultiaddrs(), READ_PROTOCOL)
    const err = await readProbeFrame(stream, controller.signal).then(() => undefined, (e: Error) => e)
    expect(err?.message).to.equal('the probe is over')
    stream.abort(new Error('done'))
  })
})
