import { expect } from 'chai'
import type { P2pHost } from '../../../node/mesh/p2p-host.ts'
import { tempDir } from '../../helpers/temp-dir.ts'
import { waitFor } from '../../helpers/wait-for.ts'
import { MeshNodes, clusterKey } from './fixtures/mesh-nodes.ts'
import { FAILURE_TIMEOUT, Hosts, joinFailures, keyFile, quiet } from './fixtures/p2p-hosts.ts'
import type { HostLog } from './fixtures/p2p-hosts.ts'

describe('createMeshLibp2p (real libp2p on loopback)', function () {
  this.timeout(30_000)
  let dir: { path: string, remove: () => Promise<void> }
  const nodes = new MeshNodes()
  const hosts = new Hosts()
  const host = async (clusterKey: Uint8Array, joinTo: readonly string[] = [], log: HostLog = quiet, failureTimeout = FAILURE_TIMEOUT): Promise<P2pHost> =>
    await hosts.start(clusterKey, { join: joinTo, log, failureTimeout })

  beforeEach(async () => { dir = await tempDir() })
  afterEach(async () => {
    await nodes.stopAll()
    await hosts.stopAll()
    await dir.remove()
  })

  it('should connect nodes holding the same cluster key, with identify, ping and gossipsub running', async () => {
    const psk = clusterKey()
    const a = await nodes.start(psk)
    const b = await nodes.start(psk)
    await b.libp2p.dial(a.libp2p.getMultiaddrs())
    expect(await b.libp2p.services.ping.ping(a.libp2p.peerId)).to.be.a('number')
    await waitFor(async () => (await b.libp2p.peerStore.get(a.libp2p.peerId).catch(() => ({ protocols: [] }))).protocols.length > 0, 'b to identify a', { timeout: 5_000, interval: 20 })
    expect((await b.libp2p.peerStore.get(a.libp2p.peerId)).protocols).to.include.members(['/ipfs/ping/1.0.0', '/meshsub/1.1.0'])
  })

  it('should refuse a node holding another cluster key within the dial bound', async () => {
    const a = await nodes.start(clusterKey())
    const outsider = await nodes.start(clusterKey())
    // the handshake fails (or hangs until DIAL_TIMEOUT_MS): either way the dial is refused
    const err = await outsider.libp2p.dial(a.libp2p.getMultiaddrs()).then(() => undefined, (e: Error) => e)
    expect(err).to.be.instanceOf(Error)
    expect(a.libp2p.getConnections()).to.deep.equal([])
  })

  it('should never connect a node holding another cluster key', async () => {
    const a = await host(await keyFile(dir.path, 'a.key'))
    const failures = joinFailures()
    const outsider = await host(await keyFile(dir.path, 'b.key'), [a.multiaddrs()[0] as string], failures.log)
    // the outsider keeps retrying: after two attempts have each failed, none got through
    await waitFor(() => failures.count() >= 2, 'two failed join attempts', { timeout: 20_000, interval: 20 })
    expect(a.connectedPeers()).to.not.include(outsider.peerId)
    expect(outsider.connectedPeers()).to.deep.equal([])
  })

  it('should deliver each message published once, and every one of them, where every node forwards to every other', async () => {
    // three nodes all connected: each message reaches c from a and again through b; the copy
    // through b is dropped as seen (fast-message-id.ts) and two messages are never one
    const psk = clusterKey()
    const [a, b, c] = [await nodes.start(psk), await nodes.start(psk), await nodes.start(psk)]
    await b.libp2p.dial(a.libp2p.getMultiaddrs())
    await c.libp2p.dial(a.libp2p.getMultiaddrs())
    await c.libp2p.dial(b.libp2p.getMultiaddrs())
    const got: string[] = []
    for (const n of [a, b, c]) n.libp2p.services.pubsub.subscribe('t')
    c.libp2p.services.pubsub.addEventListener('message', (evt) => { got.push(new TextDecoder().decode(evt.detail.data)) })
    await waitFor(() => c.libp2p.services.pubsub.getSubscribers('t').length === 2 && a.libp2p.services.pubsub.getSubscribers('t').length === 2 &&
      b.libp2p.services.pubsub.getSubscribers('t').length === 2, 'every node to hear the others subscribed', { timeout: 10_000, interval: 20 })
    for (const text of ['one', 'two', 'three']) await a.libp2p.services.pubsub.publish('t', new TextEncoder().encode(text))
    await b.libp2p.services.pubsub.publish('t', new TextEncoder().encode('four'))
    await waitFor(() => got.length >= 4, 'c to receive the four messages', { timeout: 10_000, interval: 20 })
    // b forwards a's messages to c once its mesh has formed: give the copies a heartbeat to arrive
    await waitFor(() => (c.libp2p.services.pubsub as unknown as { mesh: Map<string, Set<string>> }).mesh.get('t')?.size === 2, 'c\'s mesh to hold a and b', { timeout: 10_000, interval: 20 })
    for (const text of ['five', 'six']) await a.libp2p.services.pubsub.publish('t', new TextEncoder().encode(text))
    await waitFor(() => got.length >= 6, 'c to receive six messages', { timeout: 10_000, interval: 20 })
    expect([...got].sort()).to.deep.equal(['five', 'four', 'one', 'six', 'three', 'two'])
  })
})
