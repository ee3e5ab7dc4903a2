import { expect } from 'chai'
import { addressKey } from '../../../node/mesh/connection-stalls.ts'
import { waitFor } from '../../helpers/wait-for.ts'
import { ECHO_PROTOCOL, MeshNodes, clusterKey, received } from './fixtures/mesh-nodes.ts'

/** Nothing can be awaited to show that bytes did not arrive: this long shows it on loopback. */
const SILENCE_MS = 300

describe('ConnectionStalls (real libp2p on loopback)', function () {
  this.timeout(30_000)
  const nodes = new MeshNodes()
  afterEach(async () => { await nodes.stopAll() })

  it('should match an address by its ip, tcp and port, whatever its /p2p part', () => {
    expect(addressKey('/ip4/127.0.0.1/tcp/4001/p2p/12D3KooWAbc')).to.equal('/ip4/127.0.0.1/tcp/4001')
    expect(addressKey('/ip4/127.0.0.1/tcp/4001')).to.equal('/ip4/127.0.0.1/tcp/4001')
  })

  it('should hold what a node sends on a stalled connection, keep the connection open, and send it all in order on release', async () => {
    const psk = clusterKey()
    const a = await nodes.start(psk)
    const b = await nodes.start(psk)
    const stream = await b.libp2p.dialProtocol(a.libp2p.getMultiaddrs(), ECHO_PROTOCOL)
    const echoes = received(stream)
    stream.send(new TextEncoder().encode('before'))
    await waitFor(() => echoes.join('') === 'before', 'the echo before the stall', { timeout: 5_000, interval: 10 })
    b.faults.stalls.hold(a.libp2p.getMultiaddrs().map(String), { inbound: false, outbound: true })
    stream.send(new TextEncoder().encode('held'))
    await new Promise((resolve) => setTimeout(resolve, SILENCE_MS))
    expect(echoes.join('')).to.equal('before')
    expect(b.libp2p.getConnections().map((c) => c.status)).to.deep.equal(['open'])
    b.faults.stalls.release()
    await waitFor(() => echoes.join('') === 'beforeheld', 'the held bytes to go through', { timeout: 5_000, interval: 10 })
  })

  it('should hold what arrives on a stalled connection before the node reads it, and hand it over on release', async () => {
    const psk = clusterKey()
    const a = await nodes.start(psk)
    const b = await nodes.start(psk)
    const stream = await b.libp2p.dialProtocol(a.libp2p.getMultiaddrs(), ECHO_PROTOCOL)
    const echoes = received(stream)
    stream.send(new TextEncoder().encode('x'))
    await waitFor(() => echoes.length > 0, 'the first echo', { timeout: 5_000, interval: 10 })
    b.faults.stalls.hold(a.libp2p.getMultiaddrs().map(String), { inbound: true, outbound: false })
    stream.send(new TextEncoder().encode('y'))
    await new Promise((resolve) => setTimeout(resolve, SILENCE_MS))
    expect(echoes.join('')).to.equal('x')
    b.faults.stalls.release()
    await waitFor(() => echoes.join('') === 'xy', 'the echo held to be read', { timeout: 5_000, interval: 10 })
  })
})
