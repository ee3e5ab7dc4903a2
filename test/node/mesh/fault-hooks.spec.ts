import { expect } from 'chai'
import { waitFor } from '../../helpers/wait-for.ts'
import { ECHO_PROTOCOL, MeshNodes, clusterKey, received } from './fixtures/mesh-nodes.ts'

/** Nothing can be awaited to show that bytes did not arrive: this long shows it on loopback. */
const SILENCE_MS = 300

describe('FaultHooks (real libp2p on loopback)', function () {
  this.timeout(30_000)
  const nodes = new MeshNodes()
  afterEach(async () => { await nodes.stopAll() })

  it('should close the connections to a peer cut off, refuse every dial of it both ways, and let them through after heal', async () => {
    const psk = clusterKey()
    const a = await nodes.start(psk)
    const b = await nodes.start(psk)
    await b.libp2p.dial(a.libp2p.getMultiaddrs())
    await a.faults.partition(a.libp2p, [b.id])
    expect(a.faults.blocked(b.id)).to.equal(true)
    await waitFor(() => a.libp2p.getConnections().length === 0 && b.libp2p.getConnections().length === 0, 'the connection to close on both sides', { timeout: 5_000, interval: 10 })
    const outbound = await a.libp2p.dial(b.libp2p.getMultiaddrs()).then(() => undefined, (e: Error) => e)
    expect(outbound, 'a dialling b').to.be.instanceOf(Error)
    // b's dial may finish its side of the handshake before a refuses it: a never keeps it
    await b.libp2p.dial(a.libp2p.getMultiaddrs()).catch(() => undefined)
    await waitFor(() => a.libp2p.getConnections().length === 0 && b.libp2p.getConnections().length === 0, 'a to refuse b\'s connection', { timeout: 5_000, interval: 10 })
    a.faults.heal()
    expect(a.faults.blocked(b.id)).to.equal(false)
    await b.libp2p.dial(a.libp2p.getMultiaddrs())
    await waitFor(() => a.libp2p.getConnections().some((c) => c.remotePeer.toString() === b.id), 'a to keep b\'s connection after the heal', { timeout: 5_000, interval: 10 })
  })

  it('should stall the open and new connections of a silenced peer the chosen ways, and release them on heal', async () => {
    const psk = clusterKey()
    const a = await nodes.start(psk)
    const b = await nodes.start(psk)
    b.libp2p.addEventListener('connection:open', (evt) => { b.faults.opened(evt.detail) })
    const stream = await b.libp2p.dialProtocol(a.libp2p.getMultiaddrs(), ECHO_PROTOCOL)
    const echoes = received(stream)
    await b.faults.silence(b.libp2p, [a.id], { inbound: false, outbound: true })
    expect(b.faults.silenced(a.id)).to.equal(true)
    stream.send(new TextEncoder().encode('held'))
    await new Promise((resolve) => setTimeout(resolve, SILENCE_MS))
    expect(echoes).to.deep.equal([])
    b.faults.heal()
    expect(b.faults.silenced(a.id)).to.equal(false)
    await waitFor(() => echoes.join('') === 'held', 'the held bytes to go through', { timeout: 5_000, interval: 10 })
  })
})
