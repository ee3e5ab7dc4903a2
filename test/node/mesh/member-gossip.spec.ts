import { expect } from 'chai'
import { MemberGossip } from '../../../node/mesh/member-gossip.ts'
import { MEMBERS_TOPIC, MemberTable, encodeMemberRecord } from '../../../node/mesh/membership.ts'
import type { MemberRecord } from '../../../node/mesh/membership.ts'
import type { P2pHost } from '../../../node/mesh/p2p-host.ts'
import { upRecord } from '../../helpers/test-cluster.ts'
import { tempDir } from '../../helpers/temp-dir.ts'
import { waitFor } from '../../helpers/wait-for.ts'
import { MeshNodes, clusterKey } from './fixtures/mesh-nodes.ts'
import type { MeshNode } from './fixtures/mesh-nodes.ts'
import { FAILURE_TIMEOUT, Hosts, keyFile } from './fixtures/p2p-hosts.ts'
import type { HostLog } from './fixtures/p2p-hosts.ts'

describe('MemberGossip (real libp2p on loopback)', function () {
  this.timeout(30_000)
  let dir: { path: string, remove: () => Promise<void> }
  const nodes = new MeshNodes()
  const hosts = new Hosts()
  /** A node's gossip with its own table, and what it heard. */
  const gossip = (node: MeshNode, opts: { partitions?: number, warned?: string[] } = {}): { gossip: MemberGossip, table: MemberTable, heard: Array<{ peerId: string, first: boolean }> } => {
    const table = new MemberTable({ failureTimeout: FAILURE_TIMEOUT })
    const heard: Array<{ peerId: string, first: boolean }> = []
    const g = new MemberGossip({
      libp2p: node.libp2p,
      table,
      self: upRecord(() => node.id),
      ...(opts.partitions !== undefined && { partitions: opts.partitions }),
      heard: (record: MemberRecord, first: boolean) => { heard.push({ peerId: record.peerId, first }) },
      log: { warn: (_o: object, msg: string) => { opts.warned?.push(msg) } }
    })
    g.start()
    return { gossip: g, table, heard }
  }

  /** Two nodes of one cluster, each with its gossip, b dialled to a. */
  const connectedPair = async (): Promise<{ a: MeshNode, ga: ReturnType<typeof gossip>, gb: ReturnType<typeof gossip> }> => {
    const psk = clusterKey()
    const a = await nodes.start(psk)
    const b = await nodes.start(psk)
    const ga = gossip(a)
    const gb = gossip(b)
    await b.libp2p.dial(a.libp2p.getMultiaddrs())
    return { a, ga, gb }
  }

  beforeEach(async () => { dir = await tempDir() })
  afterEach(async () => {
    await nodes.stopAll()
    await hosts.stopAll()
    await dir.remove()
  })

  it('should take a member\'s record into the table with where its host listens, once as first heard, and remember when it arrived', async () => {
    const { a, ga, gb } = await connectedPair()
    // gossipsub forms its mesh in a heartbeat or two: a publishes until b has heard it
    await waitFor(() => { ga.gossip.publish(); return gb.table.has(a.id) }, 'b to hear a\'s record', { timeout: 15_000, interval: 100 })
    expect(gb.table.records()[0]?.addresses.p2p).to.deep.equal(a.libp2p.getMultiaddrs().map(String))
    expect(gb.heard[0]).to.deep.equal({ peerId: a.id, first: true })
    expect(gb.heard.slice(1).every((h) => !h.first)).to.equal(true)
    expect(gb.gossip.heardAt(a.id)).to.be.a('number')
    gb.gossip.forget((peer) => peer === a.id)
    expect(gb.gossip.heardAt(a.id)).to.equal(undefined)
  })

  it('should number each record it sends, and ignore one of a member that arrives after a later one (relayed by another path)', async () => {
    const { a, ga, gb } = await connectedPair()
    await waitFor(() => { ga.gossip.publish(); return (gb.table.records()[0]?.seq ?? 0) >= 2 }, 'b to hear two of a\'s records', { timeout: 15_000, interval: 100 })
    ga.gossip.publish()
    const sent = ga.gossip.sent
    await waitFor(() => gb.table.records()[0]?.seq === sent, 'b to hear a\'s last record', { timeout: 15_000, interval: 20 })
    const heard = gb.heard.length
    // a's record from before, as a relay that was slow would deliver it: signed by a, seq 1, joining
    const older = { ...upRecord(() => a.id)(), status: 'joining' as const, seq: 1 }
    await a.libp2p.services.pubsub.publish(MEMBERS_TOPIC, encodeMemberRecord(older))
    // then a record this test marks, sent after it: once b has it, b has had the older one too
    await a.libp2p.services.pubsub.publish(MEMBERS_TOPIC, encodeMemberRecord({ ...upRecord(() => a.id)(), seq: sent + 1, capacity: 7 }))
    await waitFor(() => gb.table.records()[0]?.capacity === 7, 'b to hear the marked record', { timeout: 15_000, interval: 20 })
    expect(gb.table.records()[0]).to.include({ status: 'up', seq: sent + 1 })
    expect(gb.heard.length, 'the older record was not taken: only the marked one was heard').to.equal(heard + 1)
  })

  it('should refuse a record that is not one, saying so, and go on taking good ones', async () => {
    const psk = clusterKey()
    const a = await nodes.start(psk)
    const b = await nodes.start(psk)
    const ga = gossip(a)
    const warned: string[] = []
    const gb = gossip(b, { warned })
    await b.libp2p.dial(a.libp2p.getMultiaddrs())
    await waitFor(async () => {
      await a.libp2p.services.pubsub.publish(MEMBERS_TOPIC, new TextEncoder().encode('garbage')).catch(() => undefined)
      return warned.length > 0
    }, 'b to refuse the garbage', { timeout: 15_000, interval: 100 })
    expect(warned[0]).to.match(new RegExp(`^member record from ${a.id}: `))
    expect(gb.table.has(a.id)).to.equal(false)
    await waitFor(() => { ga.gossip.publish(); return gb.table.has(a.id) }, 'b to hear a\'s record', { timeout: 15_000, interval: 100 })
  })

  it('should refuse a member whose cluster has another partition count, saying so, on both sides', async () => {
    const key = await keyFile(dir.path, 'cluster.key')
    const said: string[] = []
    const log: HostLog = { info: () => undefined, warn: (_o: object, msg: string) => { said.push(msg) } }
    const start = async (partitions: number, joinTo: string[]): Promise<P2pHost> => await hosts.start(key, { join: joinTo, log, partitions })
    const a = await start(256, [])
    const b = await start(128, [a.multiaddrs()[0] as string])
    await waitFor(() => said.filter((m) => /says the cluster has (128|256) partitions/.test(m)).length >= 2, 'both to refuse the other', { timeout: 15_000, interval: 20 })
    expect(said.some((m) => m.includes(`member ${b.peerId} says the cluster has 128 partitions, this node's data dir says 256`))).to.equal(true)
    expect(a.members()).to.deep.equal([])
    expect(b.members()).to.deep.equal([])
  })
})
