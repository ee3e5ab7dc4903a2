import { expect } from 'chai'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { MEMBER_DIALS_AT_ONCE } from '../../../node/mesh/constants.ts'
import { MemberTable } from '../../../node/mesh/membership.ts'
import type { P2pHost } from '../../../node/mesh/p2p-host.ts'
import { Redialer, parseAddrs } from '../../../node/mesh/redialer.ts'
import { upRecord } from '../../helpers/test-cluster.ts'
import { tempDir } from '../../helpers/temp-dir.ts'
import { waitFor } from '../../helpers/wait-for.ts'
import { MeshNodes, clusterKey } from './fixtures/mesh-nodes.ts'
import type { MeshNode } from './fixtures/mesh-nodes.ts'
import { FAILURE_TIMEOUT, Hosts, joinFailures, keyFile, quiet } from './fixtures/p2p-hosts.ts'
import type { HostLog } from './fixtures/p2p-hosts.ts'

describe('Redialer (real libp2p on loopback)', function () {
  this.timeout(30_000)
  let dir: { path: string, remove: () => Promise<void> }
  const nodes = new MeshNodes()
  const hosts = new Hosts()
  const redialers: Redialer[] = []
  const host = async (clusterKey: Uint8Array, joinTo: readonly string[] = [], log: HostLog = quiet, failureTimeout = FAILURE_TIMEOUT): Promise<P2pHost> =>
    await hosts.start(clusterKey, { join: joinTo, log, failureTimeout })
  /** A redialer on `node` whose table holds the records of `members`. */
  const redialer = (node: MeshNode, members: readonly MeshNode[], opts: { join?: string[], blocked?: (peer: string) => boolean, log?: HostLog } = {}): Redialer => {
    const table = new MemberTable({ failureTimeout: FAILURE_TIMEOUT })
    for (const m of members) table.heard({ ...upRecord(() => m.id)(), addresses: { grpc: '', admin: '', p2p: m.libp2p.getMultiaddrs().map(String) } })
    const r = new Redialer({ libp2p: node.libp2p, join: opts.join ?? [], table, blocked: opts.blocked ?? (() => false), log: opts.log ?? quiet })
    redialers.push(r)
    return r
  }

  beforeEach(async () => { dir = await tempDir() })
  afterEach(async () => {
    for (const r of redialers.splice(0)) r.stop()
    await nodes.stopAll()
    await hosts.stopAll()
    await dir.remove()
  })

  it('should dial a member it knows by its record\'s addresses, and again once its connection is gone', async () => {
    const psk = clusterKey()
    const a = await nodes.start(psk)
    const b = await nodes.start(psk)
    const r = redialer(b, [a])
    r.maintain()
    await waitFor(() => b.libp2p.getConnections().length > 0, 'b to dial a', { timeout: 10_000, interval: 10 })
    await Promise.all(b.libp2p.getConnections().map(async (c) => { await c.close() }))
    r.now(a.id)
    await waitFor(() => b.libp2p.getConnections().length > 0, 'b to dial a again', { timeout: 10_000, interval: 10 })
  })

  it(`should dial at most ${MEMBER_DIALS_AT_ONCE} members at a time, the next as soon as one ends, until it is connected to all`, async () => {
    const psk = clusterKey()
    const members = await Promise.all(Array.from({ length: MEMBER_DIALS_AT_ONCE + 3 }, async () => await nodes.start(psk)))
    const b = await nodes.start(psk)
    let inFlight = 0
    let most = 0
    const dial = b.libp2p.dial.bind(b.libp2p)
    b.libp2p.dial = async (...args: Parameters<typeof dial>) => {
      most = Math.max(most, ++inFlight)
      try {
        return await dial(...args)
      } finally {
        inFlight--
      }
    }
    const r = redialer(b, members)
    // a look starts the cap's dials at once (counted as they start), and another look while they
    // run starts none
    r.maintain()
    expect(r.stats.started).to.equal(MEMBER_DIALS_AT_ONCE)
    r.maintain()
    expect(r.stats.started).to.equal(MEMBER_DIALS_AT_ONCE)
    // no heartbeat after it: each of the rest is dialled as one ends
    await waitFor(() => members.every((m) => b.libp2p.getConnections(m.libp2p.peerId).length > 0), 'b to be connected to every member', { timeout: 10_000, interval: 10 })
    expect(most).to.be.within(1, MEMBER_DIALS_AT_ONCE)
    // counted for plexi_mesh_dials_total
    expect(r.stats).to.deep.equal({ started: members.length, connected: members.length, failed: 0, timedOut: 0 })
  })

  it('should never dial a member cut off, nor this node itself, nor one whose addresses do not parse', async () => {
    const psk = clusterKey()
    const a = await nodes.start(psk)
    const b = await nodes.start(psk)
    // a member's dial begins with its addresses put in the peer store, at once (a join's, with the dial)
    let dials = 0
    const merge = b.libp2p.peerStore.merge.bind(b.libp2p.peerStore)
    b.libp2p.peerStore.merge = async (...args: Parameters<typeof merge>) => { dials++; return await merge(...args) }
    const table = new MemberTable({ failureTimeout: FAILURE_TIMEOUT })
    table.heard({ ...upRecord(() => b.id)(), addresses: { grpc: '', admin: '', p2p: b.libp2p.getMultiaddrs().map(String) } })
    table.heard({ ...upRecord(() => 'not a peer id')(), addresses: { grpc: '', admin: '', p2p: ['/ip4/127.0.0.1/tcp/1'] } })
    table.heard({ ...upRecord(() => a.id)(), addresses: { grpc: '', admin: '', p2p: ['not an address'] } })
    const r = new Redialer({ libp2p: b.libp2p, join: [], table, blocked: () => false, log: quiet })
    redialers.push(r)
    r.maintain()
    const cut = redialer(b, [a], { blocked: (peer) => peer === a.id })
    cut.maintain()
    expect(dials).to.equal(0)
    expect(parseAddrs(['not an address', '/ip4/127.0.0.1/tcp/1'])).to.have.length(1)
  })

  it('should say every failed try of a join address at warn, backing off, and dial at once when healed', async () => {
    const psk = clusterKey()
    const a = await nodes.start(psk)
    const address = a.libp2p.getMultiaddrs()[0]?.toString() as string
    const port = Number(/tcp\/(\d+)/.exec(address)?.[1])
    await a.libp2p.stop()
    const b = await nodes.start(psk)
    let dials = 0
    const dial = b.libp2p.dial.bind(b.libp2p)
    b.libp2p.dial = async (...args: Parameters<typeof dial>) => { dials++; return await dial(...args) }
    const failures = joinFailures()
    const r = redialer(b, [], { join: [address.replace(/\/p2p\/.*$/, '')], log: failures.log })
    r.maintain()
    await waitFor(() => failures.count() >= 1, 'a failed join attempt', { timeout: 10_000, interval: 10 })
    expect(r.stats).to.deep.include({ started: 1, connected: 0, failed: 1 })
    // within its backoff a maintain dials nothing more; healed, it dials at once
    r.maintain()
    expect(dials).to.equal(1)
    r.healed()
    expect(dials).to.equal(2)
    await waitFor(() => failures.count() >= 2, 'a second try once healed', { timeout: 10_000, interval: 10 })
    const back = await nodes.start(psk, `/ip4/127.0.0.1/tcp/${port}`)
    r.healed()
    await waitFor(() => b.libp2p.getConnections().some((c) => c.remotePeer.equals(back.libp2p.peerId)), 'the retry to connect', { timeout: 10_000, interval: 10 })
  })

  it('should keep retrying a join address until that node is up', async () => {
    const key = await keyFile(dir.path, 'cluster.key')
    const a = await host(key)
    const address = a.multiaddrs()[0] as string
    const privateKey = await generateKeyPair('Ed25519')
    const port = Number(/tcp\/(\d+)/.exec(address)?.[1])
    await hosts.stop(a)
    const failures = joinFailures()
    const b = await host(key, [address.replace(/\/p2p\/.*$/, '')], failures.log)
    await waitFor(() => failures.count() >= 1, 'a failed join attempt', { timeout: 10_000, interval: 20 })
    const back = await hosts.start(key, { listen: `/ip4/127.0.0.1/tcp/${port}`, privateKey })
    await waitFor(() => b.connectedPeers().includes(back.peerId), 'the retry to connect', { timeout: 15_000, interval: 50 })
  })
})
