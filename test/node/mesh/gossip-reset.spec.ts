import { expect } from 'chai'
import { GossipReset } from '../../../node/mesh/gossip-reset.ts'
import { MemberTable } from '../../../node/mesh/membership.ts'
import type { P2pHost } from '../../../node/mesh/p2p-host.ts'
import { tempDir } from '../../helpers/temp-dir.ts'
import { waitFor } from '../../helpers/wait-for.ts'
import { MeshNodes, clusterKey } from './fixtures/mesh-nodes.ts'
import { FAILURE_TIMEOUT, Hosts, keyFile, quiet } from './fixtures/p2p-hosts.ts'
import type { HostLog } from './fixtures/p2p-hosts.ts'

describe('GossipReset (real libp2p on loopback)', function () {
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

  it('should close the connections of a peer that sent no record for the quiet time at heartbeats on time, saying so, and leave exempt peers be', async () => {
    const psk = clusterKey()
    const a = await nodes.start(psk)
    const quietPeer = await nodes.start(psk)
    const exempt = await nodes.start(psk)
    await quietPeer.libp2p.dial(a.libp2p.getMultiaddrs())
    await exempt.libp2p.dial(a.libp2p.getMultiaddrs())
    const said: string[] = []
    const forgotten: string[] = []
    const heartbeatMs = 100
    const reset = new GossipReset({
      libp2p: a.libp2p,
      table: new MemberTable({ failureTimeout: FAILURE_TIMEOUT }),
      records: { heardAt: () => undefined, forget: (gone) => { for (const p of [quietPeer.id, exempt.id]) if (gone(p)) forgotten.push(p) } },
      heartbeatMs,
      exempt: (peer) => peer === exempt.id,
      log: { info: (_o: object, msg: string) => { said.push(msg) } }
    })
    const heartbeat = setInterval(() => { reset.check() }, heartbeatMs)
    try {
      await waitFor(() => !a.libp2p.getConnections().some((c) => c.remotePeer.equals(quietPeer.libp2p.peerId)), 'the quiet peer\'s connection to close', { timeout: 20_000, interval: 20 })
    } finally {
      clearInterval(heartbeat)
    }
    expect(said).to.have.length(1)
    expect(said[0]).to.match(new RegExp(`^no member record from ${quietPeer.id} in \\d+ ms though connected: its gossip to this node is broken; reconnecting$`))
    expect(a.libp2p.getConnections().map((c) => c.remotePeer.toString())).to.deep.equal([exempt.id])
    // the peer gone (neither connected nor a member) is forgotten at the next check
    reset.check()
    expect(forgotten).to.include(quietPeer.id)
    expect(forgotten).to.not.include(exempt.id)
  })

  it('should reconnect a member whose records stopped arriving while its connection stayed up (its gossip stream gone), and hear it again', async () => {
    const key = await keyFile(dir.path, 'cluster.key')
    const said: string[] = []
    const a = await host(key)
    const b = await host(key, [a.multiaddrs()[0] as string], { info: (_obj, msg) => { said.push(msg) }, warn: () => undefined })
    const up = (h: P2pHost, peer: string): boolean => h.members().some((m) => m.peerId === peer && m.status === 'up')
    await waitFor(() => up(a, b.peerId) && up(b, a.peerId), 'each to see the other up', { timeout: 10_000, interval: 20 })
    // a's gossip stream to b ends with the connection left open: what happens when b reconnects
    // before a has seen its old connection close (gossipsub makes no new stream on the new one)
    const pubsub = a.libp2p.services.pubsub as unknown as { streamsOutbound: Map<string, { rawStream: { abort: (err: Error) => void } }> }
    // two connections form when each dials the other at once (b joins a while a dials b, whose
    // record it heard), and gossipsub then opens a new stream on the other one when this one ends:
    // keep one, so that the stream the test ends is the only way a's records reach b
    const between = (): number => Math.max(a.libp2p.getConnections(b.libp2p.peerId).length, b.libp2p.getConnections(a.libp2p.peerId).length)
    await waitFor(async () => {
      await Promise.all(a.libp2p.getConnections(b.libp2p.peerId).slice(1).map(async (conn) => { await conn.close() }))
      return between() === 1
    }, 'one connection between a and b', { timeout: 10_000, interval: 50 })
    pubsub.streamsOutbound.get(b.peerId)?.rawStream.abort(new Error('the test ends it'))
    await waitFor(() => !pubsub.streamsOutbound.has(b.peerId), 'a\'s gossip stream to b to be gone', { timeout: 5_000, interval: 20 })
    // b hears no record of a any more, though a answers its probes: b reconnects, and hears a again
    const saidBefore = said.length
    try {
      // (a connection that forms meanwhile — a redial, each dialling the other — would carry a new
      // stream from a, and b would hear a again without the reset: such a stream is ended too)
      await waitFor(() => {
        if (said.slice(saidBefore).some((m) => m.startsWith(`no member record from ${a.peerId}`))) return true
        pubsub.streamsOutbound.get(b.peerId)?.rawStream.abort(new Error('the test ends it again'))
        return false
      }, 'b to reconnect to a', { timeout: 15_000, interval: 50 })
    } catch (err) {
      throw new Error(`${(err as Error).message}; b said: ${JSON.stringify(said)} (${saidBefore} before the stream ended); connections a→b ${a.libp2p.getConnections(b.libp2p.peerId).length}, b→a ${b.libp2p.getConnections(a.libp2p.peerId).length}; a's outbound stream to b ${pubsub.streamsOutbound.has(b.peerId) ? 'back' : 'gone'}`)
    }
    let heard = 0
    const off = b.onHeard(() => { heard++ })
    try {
      await waitFor(() => heard > 0, 'b to hear a record of a again', { timeout: 10_000, interval: 20 })
    } finally {
      off()
    }
    await waitFor(() => up(b, a.peerId), 'b to see a up', { timeout: 10_000, interval: 20 })
  })
})
