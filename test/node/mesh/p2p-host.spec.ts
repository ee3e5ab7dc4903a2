import { expect } from 'chai'
import { execFile } from 'node:child_process'
import { chmod, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { generateKey } from '@libp2p/pnet'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { readClusterKey, startP2pHost } from '../../../node/mesh/p2p-host.ts'
import type { MemberRecord } from '../../../node/mesh/membership.ts'
import type { P2pHost } from '../../../node/mesh/p2p-host.ts'
import { tempDir } from '../../helpers/temp-dir.ts'
import { waitFor } from '../../helpers/wait-for.ts'
import { upRecord } from '../../helpers/test-cluster.ts'

type HostLog = { info (obj: object, msg: string): void, warn (obj: object, msg: string): void }
const quiet: HostLog = { info: () => undefined, warn: () => undefined }
const FAILURE_TIMEOUT = 1_500

/** A member record for a host that is up. */
function record (peerId: () => string, roles: string[] = ['chat']): () => MemberRecord {
  return upRecord(peerId, () => roles)
}

/** A logger that counts the failed join attempts it is told of (the host logs each one). */
function joinFailures (): { log: HostLog, count: () => number } {
  let failed = 0
  return { log: { info: () => undefined, warn: (_obj: object, msg: string) => { if (msg.startsWith('cannot reach')) failed++ } }, count: () => failed }
}

async function startHost (clusterKey: Uint8Array, joinTo: readonly string[], listen = '/ip4/127.0.0.1/tcp/0',
  privateKey?: Awaited<ReturnType<typeof generateKeyPair>>, log: HostLog = quiet, failureTimeout = FAILURE_TIMEOUT): Promise<P2pHost> {
  const key = privateKey ?? await generateKeyPair('Ed25519')
  const id = peerIdFromPrivateKey(key).toString()
  return await startP2pHost({ privateKey: key, listen, join: joinTo, clusterKey, log, failureTimeout, self: record(() => id) })
}

async function keyFile (dir: string, name: string): Promise<Uint8Array> {
  const key = new Uint8Array(95)
  generateKey(key)
  await writeFile(join(dir, name), key, { mode: 0o600 })
  return await readClusterKey(join(dir, name))
}

describe('P2pHost (real libp2p on loopback)', function () {
  this.timeout(30_000)
  let dir: { path: string, remove: () => Promise<void> }
  const hosts: P2pHost[] = []
  const host = async (clusterKey: Uint8Array, joinTo: readonly string[] = [], log: HostLog = quiet, failureTimeout = FAILURE_TIMEOUT): Promise<P2pHost> => {
    const started = await startHost(clusterKey, joinTo, undefined, undefined, log, failureTimeout)
    hosts.push(started)
    return started
  }

  beforeEach(async () => { dir = await tempDir() })
  afterEach(async () => {
    for (const h of hosts.splice(0)) await h.stop()
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

  it('should keep its connections up after one write of megabytes, through thousands of writes after it', async () => {
    // in a child process: pnet's cipher memory is process-wide, and its failure outlives the test
    const fixture = fileURLToPath(new URL('./fixtures/large-write-over-cluster-key.ts', import.meta.url))
    const out = await new Promise<string>((resolve) => {
      execFile(process.execPath, [fixture], { timeout: 40_000 }, (_err, stdout) => { resolve(stdout) })
    })
    expect(out.trim().split('\n').at(-1)).to.equal(JSON.stringify({ ok: true, bytes: 2 * 1024 * 1024 + 2_000 * 1024 }))
  })

  it('should mark a member whose process is gone down at once, long before the failure timeout', async () => {
    const key = await keyFile(dir.path, 'cluster.key')
    // a failure timeout of ten minutes: only the closed, refused connection can tell
    const a = await host(key, [], quiet, 600_000)
    const b = await host(key, [a.multiaddrs()[0] as string], quiet, 600_000)
    const statusOf = (h: P2pHost, peer: string): string | undefined => h.members().find((m) => m.peerId === peer)?.status
    await waitFor(() => statusOf(a, b.peerId) === 'up', 'a to hear b', { timeout: 10_000, interval: 20 })
    await b.stop()
    hosts.splice(hosts.indexOf(b), 1)
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
    pubsub.streamsOutbound.get(b.peerId)?.rawStream.abort(new Error('the test ends it'))
    await waitFor(() => !pubsub.streamsOutbound.has(b.peerId), 'a\'s gossip stream to b to be gone', { timeout: 5_000, interval: 20 })
    // b hears no record of a any more, though a answers its probes: b reconnects, and hears a again
    await waitFor(() => said.some((m) => m.startsWith(`no member record from ${a.peerId}`)), 'b to reconnect to a', { timeout: 15_000, interval: 50 })
    let heard = 0
    const off = b.onHeard(() => { heard++ })
    try {
      await waitFor(() => heard > 0, 'b to hear a record of a again', { timeout: 10_000, interval: 20 })
    } finally {
      off()
    }
    await waitFor(() => up(b, a.peerId), 'b to see a up', { timeout: 10_000, interval: 20 })
  })

  it('should refuse a member whose cluster has another partition count, saying so, on both sides', async () => {
    const key = await keyFile(dir.path, 'cluster.key')
    const said: string[] = []
    const log: HostLog = { info: () => undefined, warn: (_o: object, msg: string) => { said.push(msg) } }
    const start = async (partitions: number, joinTo: string[]): Promise<P2pHost> => {
      const privateKey = await generateKeyPair('Ed25519')
      const id = peerIdFromPrivateKey(privateKey).toString()
      const h = await startP2pHost({ privateKey, listen: '/ip4/127.0.0.1/tcp/0', join: joinTo, clusterKey: key, log, failureTimeout: FAILURE_TIMEOUT, partitions, self: record(() => id) })
      hosts.push(h)
      return h
    }
    const a = await start(256, [])
    const b = await start(128, [a.multiaddrs()[0] as string])
    await waitFor(() => said.filter((m) => /says the cluster has (128|256) partitions/.test(m)).length >= 2, 'both to refuse the other', { timeout: 15_000, interval: 20 })
    expect(said.some((m) => m.includes(`member ${b.peerId} says the cluster has 128 partitions, this node's data dir says 256`))).to.equal(true)
    expect(a.members()).to.deep.equal([])
    expect(b.members()).to.deep.equal([])
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

  it('should keep retrying a join address until that node is up', async () => {
    const key = await keyFile(dir.path, 'cluster.key')
    const a = await host(key)
    const address = a.multiaddrs()[0] as string
    const privateKey = await generateKeyPair('Ed25519')
    const port = Number(/tcp\/(\d+)/.exec(address)?.[1])
    await a.stop()
    hosts.splice(hosts.indexOf(a), 1)
    const failures = joinFailures()
    const b = await host(key, [address.replace(/\/p2p\/.*$/, '')], failures.log)
    await waitFor(() => failures.count() >= 1, 'a failed join attempt', { timeout: 10_000, interval: 20 })
    const back = await startHost(key, [], `/ip4/127.0.0.1/tcp/${port}`, privateKey)
    hosts.push(back)
    await waitFor(() => b.connectedPeers().includes(back.peerId), 'the retry to connect', { timeout: 15_000, interval: 50 })
  })

  it('should see the other members up by their heartbeats, and a stopped one down within the failure timeout', async () => {
    const key = await keyFile(dir.path, 'cluster.key')
    const a = await host(key)
    const b = await host(key, [a.multiaddrs()[0] as string])
    const c = await host(key, [a.multiaddrs()[0] as string])
    const upOn = (h: P2pHost): string[] => h.members().filter((m) => m.status === 'up').map((m) => m.peerId)
    await waitFor(() => [a, b, c].every((h) => upOn(h).length === 2), 'every host to see the two others up', { timeout: 15_000, interval: 50 })
    expect(upOn(b)).to.have.members([a.peerId, c.peerId])
    await c.stop()
    hosts.splice(hosts.indexOf(c), 1)
    await waitFor(() => a.members().find((m) => m.peerId === c.peerId)?.status === 'down', 'the stopped host to be down', { timeout: 10_000, interval: 20 })
    expect(a.members().find((m) => m.peerId === b.peerId)?.status).to.equal('up')
  })

  it('should refuse a cluster key file that is not one, saying what it expects', async () => {
    await writeFile(join(dir.path, 'bad.key'), 'hello\n', { mode: 0o600 })
    const err = await readClusterKey(join(dir.path, 'bad.key')).then(() => undefined, (e: Error) => e)
    expect(err?.name).to.equal('ClusterKeyError')
    expect(err?.message).to.match(/expected the three lines that `plexi cluster keygen` prints/)
    expect(err?.message).to.not.include('hello')
    const missing = await readClusterKey(join(dir.path, 'nope.key')).then(() => undefined, (e: Error) => e)
    expect(missing?.message).to.match(/cannot read the cluster key file/)
  })

  it('should refuse a cluster key file that group or others may read, as ssh refuses such a private key', async () => {
    const file = join(dir.path, 'open.key')
    const key = new Uint8Array(95)
    generateKey(key)
    await writeFile(file, key, { mode: 0o600 })
    for (const mode of [0o644, 0o640, 0o604, 0o660]) {
      await chmod(file, mode)
      const err = await readClusterKey(file).then(() => undefined, (e: Error) => e)
      expect(err?.name, mode.toString(8)).to.equal('ClusterKeyError')
      expect(err?.message).to.equal(`permissions 0${mode.toString(8)} on ${file} are too open: chmod 600 ${file} (whoever reads the cluster key can join the cluster)`)
    }
    for (const mode of [0o600, 0o400]) {
      await chmod(file, mode)
      expect(await readClusterKey(file), mode.toString(8)).to.have.length(96)
    }
  })
})
