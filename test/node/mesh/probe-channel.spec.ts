/**
 * Probe channels (`/plexi/probe/2.0.0`, node/mesh/probe-channel.ts): the prober's requests and
 * answers on one long-lived stream per connection and direction, with a stream per exchange
 * (1.0.0) for a peer that does not speak it; real libp2p hosts on loopback in this process.
 */
import { expect } from 'chai'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { generateKey } from '@libp2p/pnet'
import { peerIdFromPrivateKey, peerIdFromString } from '@libp2p/peer-id'
import type { Connection, Stream } from '@libp2p/interface'
import { Packr } from 'msgpackr'
import { readClusterKey, startP2pHost } from '../../../node/mesh/index.ts'
import type { P2pHost } from '../../../node/mesh/p2p-host.ts'
import { FrameReader, PROBE, PROBE_CHANNEL_PROTOCOL, decodeProbe, encodeProbe } from '../../../protocols/p2p/index.ts'
import type { ProbeFrame } from '../../../protocols/p2p/index.ts'
import { tempDir } from '../../helpers/temp-dir.ts'
import { upRecord } from '../../helpers/test-cluster.ts'
import { waitFor } from '../../helpers/wait-for.ts'

const FAILURE_TIMEOUT = 1_500
const WAIT = { timeout: 30_000, interval: 20 }

const lastSeen = (h: P2pHost, peer: string): number => h.members().find((m) => m.peerId === peer)?.lastSeen ?? 0
const up = (h: P2pHost, peer: string): boolean => h.members().find((m) => m.peerId === peer)?.status === 'up'
const channels = (c: Connection): Stream[] => c.streams.filter((s) => s.protocol === PROBE_CHANNEL_PROTOCOL)

describe('Probe channels: the probes of a connection on one stream (real libp2p on loopback)', function () {
  this.timeout(60_000)
  let dir: { path: string, remove: () => Promise<void> }
  let key: Uint8Array
  const hosts: P2pHost[] = []
  const warnings: string[] = []
  const log = { info: () => {}, warn: (_o: object, msg: string) => { warnings.push(msg) } }

  const start = async (join: readonly string[] = []): Promise<P2pHost> => {
    const privateKey = await generateKeyPair('Ed25519')
    const id = peerIdFromPrivateKey(privateKey).toString()
    const h = await startP2pHost({ privateKey, listen: '/ip4/127.0.0.1/tcp/0', join, clusterKey: key, log, failureTimeout: FAILURE_TIMEOUT, self: upRecord(() => id) })
    hosts.push(h)
    return h
  }
  /** `peer` probed by `h` (heard) anew after now, `times` times over. */
  const probedAgain = async (h: P2pHost, peer: string, times = 3): Promise<void> => {
    for (let i = 0; i < times; i++) {
      const after = lastSeen(h, peer)
      await waitFor(() => lastSeen(h, peer) > after, `${peer} heard again`, WAIT)
    }
  }

  beforeEach(async () => {
    dir = await tempDir()
    const k = new Uint8Array(95)
    generateKey(k)
    await writeFile(join(dir.path, 'cluster.key'), k, { mode: 0o600 })
    key = await readClusterKey(join(dir.path, 'cluster.key'))
    warnings.splice(0)
  })
  afterEach(async () => {
    for (const h of hosts.splice(0)) await h.stop()
    await dir.remove()
  })

  it('should carry every probe of a connection on one stream each way, kept from round to round', async () => {
    const a = await start()
    const b = await start([a.multiaddrs()[0] as string])
    await waitFor(() => up(a, b.peerId) && up(b, a.peerId), 'a and b up', WAIT)
    const connection = a.libp2p.getConnections(peerIdFromString(b.peerId))[0] as Connection
    await probedAgain(a, b.peerId)
    const first = channels(connection).map((s) => s.id).sort()
    // one opened by each side (a stream per exchange would come and go, and not be listed)
    expect(channels(connection).map((s) => s.direction).sort()).to.deep.equal(['inbound', 'outbound'])
    await probedAgain(a, b.peerId)
    await probedAgain(b, a.peerId)
    expect(channels(connection).map((s) => s.id).sort()).to.deep.equal(first)
  })

  it('should probe a peer that speaks only 1.0.0 (an earlier version) with a stream per exchange', async () => {
    const a = await start()
    // a now speaks only the stream per exchange, as a node of an earlier version
    await a.libp2p.unhandle(PROBE_CHANNEL_PROTOCOL)
    const b = await start([a.multiaddrs()[0] as string])
    await waitFor(() => up(a, b.peerId) && up(b, a.peerId), 'a and b up', WAIT)
    await probedAgain(b, a.peerId)
    const connection = b.libp2p.getConnections(peerIdFromString(a.peerId))[0] as Connection
    // b asked a on streams of their own; a still asks b on a channel
    expect(channels(connection).map((s) => s.direction)).to.deep.equal(['inbound'])
    expect(up(b, a.peerId)).to.equal(true)
  })

  it('should answer requests by nonce as each is answered, and refuse a channel that breaks the protocol while probes go on', async () => {
    const a = await start()
    const b = await start([a.multiaddrs()[0] as string])
    await waitFor(() => up(a, b.peerId) && up(b, a.peerId), 'a and b up', WAIT)
    const connection = b.libp2p.getConnections(peerIdFromString(a.peerId))[0] as Connection
    const packr = new Packr({ useRecords: false })
    const frame = (value: unknown): Uint8Array => { const body = packr.pack(value); return Uint8Array.from([body.byteLength, ...body]) }
    /** A channel of this test's own to a: what it sends, and the answers (or the error it ended with). */
    const open = async (): Promise<{ send: (bytes: Uint8Array) => void, answers: ProbeFrame[], ended: Promise<Error | undefined> }> => {
      const stream = await connection.newStream(PROBE_CHANNEL_PROTOCOL)
      const answers: ProbeFrame[] = []
      const reader = new FrameReader()
      stream.addEventListener('message', (evt) => { reader.push(evt.data instanceof Uint8Array ? evt.data : evt.data.subarray(), (body) => { answers.push(decodeProbe(body)) }) })
      const ended = new Promise<Error | undefined>((resolve) => { stream.addEventListener('close', (evt) => { resolve(evt.error) }, { once: true }) })
      return { send: (bytes) => { stream.send(bytes) }, answers, ended }
    }
    // a ping-req about a peer a cannot reach waits on a's own probe; the ping behind it does not
    const stranger = peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()
    const good = await open()
    good.send(encodeProbe([PROBE.PING_REQ, 5, stranger]))
    good.send(encodeProbe([PROBE.PING, 6, 0]))
    await waitFor(() => good.answers.length === 2, 'both answered', WAIT)
    expect(good.answers).to.deep.equal([[PROBE.ACK, 6], [PROBE.NACK, 5]])
    const garbage: Uint8Array[] = [
      new Uint8Array([0xff, 0xff, 0xff, 0xff, 0x7f]),
      frame({ not: 'a probe' }),
      frame([PROBE.ACK, 1]),
      frame([PROBE.PING_REQ, 1, a.peerId]),
      frame([PROBE.PING_REQ, 1, 'not a peer id']),
      // the start of a frame longer than any probe frame
      new Uint8Array([0xe8, 0x07, ...new Uint8Array(300)])
    ]
    for (const bytes of garbage) {
      const bad = await open()
      bad.send(bytes)
      expect(await bad.ended, `channel sent ${Buffer.from(bytes.subarray(0, 8)).toString('hex')}`).to.be.instanceOf(Error)
      expect(bad.answers).to.deep.equal([])
    }
    expect(warnings.filter((m) => m.startsWith('refused a probe channel from')).length).to.equal(garbage.length)
    // the good channel, and the probes between the two, go on
    good.send(encodeProbe([PROBE.PING, 7, 0]))
    await waitFor(() => good.answers.length === 3, 'the good channel answered again', WAIT)
    expect(good.answers[2]).to.deep.equal([PROBE.ACK, 7])
    await probedAgain(a, b.peerId)
    expect(up(a, b.peerId) && up(b, a.peerId)).to.equal(true)
  })

  it('should refuse an answer that announces a frame longer than any probe frame, buffering none of it', async () => {
    const a = await start()
    // a answers every channel opened to it with the start of a 1,000-byte frame
    await a.libp2p.unhandle(PROBE_CHANNEL_PROTOCOL)
    await a.libp2p.handle(PROBE_CHANNEL_PROTOCOL, (stream) => {
      stream.addEventListener('message', () => { if (stream.writeStatus === 'writable') stream.send(new Uint8Array([0xe8, 0x07, ...new Uint8Array(300)])) }, { once: true })
    })
    await start([a.multiaddrs()[0] as string])
    await waitFor(() => warnings.some((m) => m.startsWith('refused a probe answer')), 'the long answer refused', WAIT)
    expect(warnings.find((m) => m.startsWith('refused a probe answer'))).to.include('at most 256 bytes')
  })
})
