import { expect } from 'chai'
import type { P2pHost } from '../../../node/mesh/p2p-host.ts'
import { tempDir } from '../../helpers/temp-dir.ts'
import { waitFor } from '../../helpers/wait-for.ts'
import { FAILURE_TIMEOUT, Hosts, keyFile, quiet } from './fixtures/p2p-hosts.ts'
import type { HostLog } from './fixtures/p2p-hosts.ts'

describe('P2pHost (real libp2p on loopback)', function () {
  this.timeout(30_000)
  let dir: { path: string, remove: () => Promise<void> }
  const hosts = new Hosts()
  const host = async (clusterKey: Uint8Array, joinTo: readonly string[] = [], log: HostLog = quiet, failureTimeout = FAILURE_TIMEOUT): Promise<P2pHost> =>
    await hosts.start(clusterKey, { join: joinTo, log, failureTimeout })

  beforeEach(async () => { dir = await tempDir() })
  afterEach(async () => {
    await hosts.stopAll()
    await dir.remove()
  })

  it('should connect a node joining with the same cluster key, and ping it', async () => {
    const key = await keyFile(dir.path, 'cluster.key')
    const a = await host(key)
    expect(a.multiaddrs()[0]).to.match(new RegExp(`^/ip4/127\\.0\\.0\\.1/tcp/\\d+/p2p/${a.peerId}$`))
    const b = await host(key, [a.multiaddrs()[0] as string])
    await waitFor(() => a.connectedPeers().includes(b.peerId), 'the joining node to connect', { timeout: 10_000, interval: 20 })
    expect(await b.ping(a.peerId)).to.be.a('number')
  })

  it('should mark a member whose process is gone down at once, long before the failure timeout', async () => {
    const key = await keyFile(dir.path, 'cluster.key')
    // a failure timeout of ten minutes: only the closed, refused connection can tell
    const a = await host(key, [], quiet, 600_000)
    const b = await host(key, [a.multiaddrs()[0] as string], quiet, 600_000)
    const statusOf = (h: P2pHost, peer: string): string | undefined => h.members().find((m) => m.peerId === peer)?.status
    await waitFor(() => statusOf(a, b.peerId) === 'up', 'a to hear b', { timeout: 10_000, interval: 20 })
    await hosts.stop(b)
    await waitFor(() => statusOf(a, b.peerId) === 'down', 'a to see b down', { timeout: 10_000, interval: 20 })
  })

  it('should take a dial that failed as a sign the member is gone only when it was refused and no connection is open', async () => {
    const key = await keyFile(dir.path, 'cluster.key')
    const a = await host(key, [], quiet, 600_000)
    const b = await host(key, [a.multiaddrs()[0] as string], quiet, 600_000)
    const statusOf = (h: P2pHost, peer: string): string | undefined => h.members().find((m) => m.peerId === peer)?.status
    await waitFor(() => statusOf(a, b.peerId) === 'up' && a.connectedPeers().includes(b.peerId), 'a to hear b and be connected', { timeout: 10_000, interval: 20 })
    // a stream's dial that timed out, or one refused while a connection is open (a stale address):
    // nothing to go by
    a.dialFailed(b.peerId, new Error('The operation was aborted due to timeout'))
    a.dialFailed(b.peerId, Object.assign(new Error('all dials failed'), { errors: [new Error('connect ECONNREFUSED 127.0.0.1:1')] }))
    a.dialFailed('not a peer id', new Error('connect ECONNREFUSED 127.0.0.1:1'))
    expect(statusOf(a, b.peerId)).to.equal('up')
  })

  it('should reconnect a node cut off from every other once the network heals (partition hook)', async () => {
    const key = await keyFile(dir.path, 'cluster.key')
    const a = await host(key)
    const b = await host(key, [a.multiaddrs()[0] as string])
    // c knows b only through gossip: after the cut it must redial a member, not only its join address
    const c = await host(key, [a.multiaddrs()[0] as string])
    const sees = (h: P2pHost, others: P2pHost[], status: string): boolean => others.every((o) => h.members().find((m) => m.peerId === o.peerId)?.status === status)
    await waitFor(() => sees(a, [b, c], 'up') && sees(b, [a, c], 'up') && sees(c, [a, b], 'up') && c.connectedPeers().includes(b.peerId), 'all three up and connected', { timeout: 15_000, interval: 20 })
    await c.partition([a.peerId, b.peerId])
    await a.partition([c.peerId])
    await b.partition([c.peerId])
    await waitFor(() => sees(a, [c], 'down') && sees(b, [c], 'down') && sees(c, [a, b], 'down'), 'each side to see the other down', { timeout: 15_000, interval: 20 })
    expect(c.connectedPeers()).to.deep.equal([])
    for (const h of [a, b, c]) h.heal()
    await waitFor(() => sees(a, [b, c], 'up') && sees(b, [a, c], 'up') && sees(c, [a, b], 'up'), 'all three up again', { timeout: 15_000, interval: 20 })
    await waitFor(() => c.connectedPeers().includes(a.peerId) && c.connectedPeers().includes(b.peerId), 'c connected to a and b again', { timeout: 15_000, interval: 20 })
  })

  it('should see the other members up by their heartbeats, and a stopped one down within the failure timeout', async () => {
    const key = await keyFile(dir.path, 'cluster.key')
    const a = await host(key)
    const b = await host(key, [a.multiaddrs()[0] as string])
    const c = await host(key, [a.multiaddrs()[0] as string])
    const upOn = (h: P2pHost): string[] => h.members().filter((m) => m.status === 'up').map((m) => m.peerId)
    await waitFor(() => [a, b, c].every((h) => upOn(h).length === 2), 'every host to see the two others up', { timeout: 15_000, interval: 50 })
    expect(upOn(b)).to.have.members([a.peerId, c.peerId])
    await hosts.stop(c)
    await waitFor(() => a.members().find((m) => m.peerId === c.peerId)?.status === 'down', 'the stopped host to be down', { timeout: 10_000, interval: 20 })
    expect(a.members().find((m) => m.peerId === b.peerId)?.status).to.equal('up')
  })
})
