/**
 * Member alerts and bounded probing (issue 41): the alert codec, and eight real libp2p hosts on
 * loopback (more than PROBE_FANOUT + 1, so each probes only some members a tick): a member cut off
 * silently is found down by every other, up again after the heal, and an alert alone never makes a
 * member that answers down.
 */
import { expect } from 'chai'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import type { GossipSub } from '@libp2p/gossipsub'
import { PROBE_FANOUT } from '../../../node/mesh/constants.ts'
import { ALERTS_TOPIC, MAX_ALERT_BYTES, decodeMemberAlert, encodeMemberAlert } from '../../../node/mesh/member-alerts.ts'
import type { P2pHost } from '../../../node/mesh/p2p-host.ts'
import { tempDir } from '../../helpers/temp-dir.ts'
import { waitFor } from '../../helpers/wait-for.ts'
import { Hosts, keyFile } from './fixtures/p2p-hosts.ts'

const WAIT = { timeout: 45_000, interval: 20 }
const HOSTS = PROBE_FANOUT + 4

const statusOf = (h: P2pHost, peer: string): string | undefined => h.members().find((m) => m.peerId === peer)?.status
const sees = (h: P2pHost, others: readonly P2pHost[], status: string): boolean => others.every((o) => o === h || statusOf(h, o.peerId) === status)
const pubsubOf = (h: P2pHost): GossipSub => (h.libp2p as unknown as { services: { pubsub: GossipSub } }).services.pubsub

describe('member alerts: the frame', () => {
  it('should encode and decode an alert, and refuse anything malformed with a clear error', async () => {
    const peer = peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()
    expect(decodeMemberAlert(encodeMemberAlert({ verdict: 'dead', peer, incarnation: 7 }), 'x')).to.deep.equal({ verdict: 'dead', peer, incarnation: 7 })
    expect(decodeMemberAlert(encodeMemberAlert({ verdict: 'suspect', peer, incarnation: 0 }), 'x').verdict).to.equal('suspect')
    const { Packr } = await import('msgpackr')
    const pack = (v: unknown): Uint8Array => new Packr({ useRecords: false }).pack(v)
    expect(() => decodeMemberAlert(new Uint8Array([0x93, 0x01]), 'x')).to.throw(/member alert from x: not msgpack/)
    expect(() => decodeMemberAlert(pack({ peer }), 'x')).to.throw(/expected \[verdict, peer id, incarnation\]/)
    expect(() => decodeMemberAlert(pack([3, peer, 1]), 'x')).to.throw(/verdict 3/)
    expect(() => decodeMemberAlert(pack([2, 'nobody', 1]), 'x')).to.throw(/is not a peer id/)
    expect(() => decodeMemberAlert(pack([2, peer, -1]), 'x')).to.throw(/incarnation/)
    expect(() => decodeMemberAlert(pack([2, peer, 1.5]), 'x')).to.throw(/incarnation/)
    expect(() => decodeMemberAlert(new Uint8Array(MAX_ALERT_BYTES + 1), 'x')).to.throw(/over/)
  })
})

describe(`member alerts and bounded probing: ${HOSTS} real libp2p hosts on loopback`, function () {
  this.timeout(120_000)
  let dir: { path: string, remove: () => Promise<void> }
  const hosts = new Hosts()
  const warnings: string[] = []
  const log = { info: () => undefined, warn: (_o: object, msg: string) => { warnings.push(msg) } }

  const cluster = async (): Promise<P2pHost[]> => {
    const key = await keyFile(dir.path, 'cluster.key')
    const first = await hosts.start(key, { log })
    const all = [first]
    for (let i = 1; i < HOSTS; i++) all.push(await hosts.start(key, { join: [first.multiaddrs()[0] as string], log }))
    await waitFor(() => all.every((h) => sees(h, all, 'up')), `all ${HOSTS} up in every view`, WAIT)
    return all
  }

  beforeEach(async () => {
    dir = await tempDir()
    warnings.splice(0)
  })
  afterEach(async () => {
    await hosts.stopAll()
    await dir.remove()
  })

  it('should find a member cut off silently down in every view, the others up, and it up again after the heal', async () => {
    const all = await cluster()
    const cut = all.at(-1) as P2pHost
    const rest = all.slice(0, -1)
    await cut.silence(rest.map((h) => h.peerId))
    for (const h of rest) await h.silence([cut.peerId])
    await waitFor(() => rest.every((h) => statusOf(h, cut.peerId) === 'down') && sees(cut, rest, 'down'), 'every view to find the cut member down (and it every other)', WAIT)
    expect(rest.every((h) => sees(h, rest, 'up')), 'the others still up to each other').to.equal(true)
    expect(rest.reduce((n, h) => n + h.membershipSent().alerts, 0), 'alerts told').to.be.greaterThan(0)
    for (const h of all) h.heal()
    await waitFor(() => all.every((h) => sees(h, all, 'up')), 'all up again after the heal', WAIT)
  })

  it('should keep a member that answers up though an alert says it is dead, and refuse a malformed alert', async () => {
    const all = await cluster()
    const [liar, target] = all as [P2pHost, P2pHost]
    const downs: string[] = []
    // (a busy machine may make a probe late and the target suspect for a moment: only down counts)
    for (const h of all.slice(2)) h.onHeard(() => { if (statusOf(h, target.peerId) === 'down') downs.push(`${h.peerId}: ${statusOf(h, target.peerId)}`) })
    const incarnation = liar.members().find((m) => m.peerId === target.peerId)?.incarnation ?? 0
    await pubsubOf(liar).publish(ALERTS_TOPIC, encodeMemberAlert({ verdict: 'dead', peer: target.peerId, incarnation }))
    await pubsubOf(liar).publish(ALERTS_TOPIC, new Uint8Array([1, 2, 3]))
    await waitFor(() => warnings.some((w) => /member alert from .*: /.test(w)), 'the malformed alert to be refused', WAIT)
    // every other host probed the target on the alert and got its answer: it never left 'up'
    const sentBefore = all.slice(2).map((h) => h.membershipSent().pings)
    await waitFor(() => all.slice(2).every((h, i) => h.membershipSent().pings > (sentBefore[i] as number)), 'every host to probe again', WAIT)
    expect(downs).to.deep.equal([])
    expect(all.filter((h) => h !== target).every((h) => statusOf(h, target.peerId) !== 'down')).to.equal(true)
  })
})
