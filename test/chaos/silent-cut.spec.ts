/**
 * The lab the silent-partition scenarios run in (test/helpers/net-namespace.ts), tested on its
 * own: a cut drops packets silently (TCP connections stay ESTABLISHED, what is sent is neither
 * delivered nor refused), one way or both, and a heal lets TCP deliver what was held back. First
 * with a plain TCP connection between two hosts, then with a real cluster of three node
 * processes, one per host: each node's p2p traffic is on its own address, a cut of node 3 is
 * seen on both sides while its admin port stays reachable, a new connection across the cut is
 * neither made nor refused, and it is made once healed. Needs root, unshare, nsenter,
 * ip, ss and nft; skipped otherwise, saying what to install. (What a node does with its own
 * connections across a cut, keep or close them, is the node's: the scenarios check that.)
 */
import { expect } from 'chai'
import { spawn } from 'node:child_process'
import type { ChildProcessByStdio } from 'node:child_process'
import type { Readable, Writable } from 'node:stream'
import { NetLab, netLabMissing } from '../helpers/net-namespace.ts'
import type { NetHost, TcpConnection } from '../helpers/net-namespace.ts'
import { ProcessCluster } from '../helpers/process-cluster.ts'
import type { MemberRow, NodeSlot } from '../helpers/process-cluster.ts'
import { waitFor } from '../helpers/wait-for.ts'

/** A line server on `host`'s address: prints its port, then `got <line>` for each line it reads,
 * which it also sends back. */
const SERVER = `
const net = require('node:net')
const server = net.createServer((s) => {
  let buf = ''
  s.on('data', (d) => { buf += d; let i; while ((i = buf.indexOf('\\n')) >= 0) { const line = buf.slice(0, i); buf = buf.slice(i + 1); console.log('got ' + line); s.write(line + '\\n') } })
  s.on('error', () => {})
})
server.listen(0, process.argv[1], () => console.log('port ' + server.address().port))
process.stdin.resume(); process.stdin.on('end', () => process.exit(0))`
/** A client: connects to argv[1]:argv[2], prints `connected`, sends each stdin line, prints
 * `echo <line>` for each line back. */
const CLIENT = `
const net = require('node:net')
const s = net.connect(Number(process.argv[2]), process.argv[1], () => console.log('connected'))
let buf = ''
s.on('data', (d) => { buf += d; let i; while ((i = buf.indexOf('\\n')) >= 0) { console.log('echo ' + buf.slice(0, i)); buf = buf.slice(i + 1) } })
s.on('error', (e) => console.log('error ' + e.code))
s.on('close', () => console.log('closed'))
process.stdin.on('data', (d) => s.write(d)); process.stdin.on('end', () => process.exit(0))`

/** A program run in a host, its stdout lines kept. */
class InHost {
  readonly lines: string[] = []
  readonly child: ChildProcessByStdio<Writable, Readable, Readable>
  constructor (host: NetHost, script: string, args: readonly string[]) {
    const [command, ...before] = [...host.prefix, process.execPath]
    this.child = spawn(command as string, [...before, '-e', script, ...args], { stdio: ['pipe', 'pipe', 'pipe'] })
    let buf = ''
    this.child.stdout.on('data', (chunk: Buffer) => {
      buf += chunk.toString()
      const lines = buf.split('\n')
      buf = lines.pop() ?? ''
      this.lines.push(...lines)
    })
  }

  async line (match: (line: string) => boolean, what: string, timeout = 20_000): Promise<string> {
    await waitFor(() => this.lines.some(match), what, { timeout, interval: 10 })
    return this.lines.find(match) as string
  }

  send (line: string): void {
    this.child.stdin.write(`${line}\n`)
  }

  async stop (): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return
    const gone = new Promise((resolve) => { this.child.once('exit', resolve) })
    this.child.kill('SIGKILL')
    await gone
  }
}

/** The connections of `conns` between `a` and `b` (either way round). */
const between = (conns: readonly TcpConnection[], a: NetHost, b: NetHost): TcpConnection[] =>
  conns.filter((c) => (c.local.startsWith(`${a.ip}:`) && c.peer.startsWith(`${b.ip}:`)) || (c.local.startsWith(`${b.ip}:`) && c.peer.startsWith(`${a.ip}:`)))

describe('a silent cut (nftables drops on a bridge between network namespaces)', function () {
  this.timeout(180_000)
  let lab: NetLab | undefined
  const programs: InHost[] = []

  before(async function () {
    const missing = netLabMissing()
    if (missing !== undefined) {
      console.log(`    skipped: ${missing}`)
      this.skip()
    }
    lab = await NetLab.create()
  })

  after(async () => {
    for (const p of programs) await p.stop()
    await lab?.close()
  })

  it('should hold back what is sent across a cut, one way or both, with the connection left ESTABLISHED, and deliver it once healed', async () => {
    const net = lab as NetLab
    const [a, b] = [await net.host(1), await net.host(2)]
    const server = new InHost(b, SERVER, [b.ip])
    programs.push(server)
    const port = (await server.line((l) => l.startsWith('port '), 'the server to listen')).slice(5)
    const client = new InHost(a, CLIENT, [b.ip, port])
    programs.push(client)
    await client.line((l) => l === 'connected', 'the client to connect')
    client.send('before')
    await client.line((l) => l === 'echo before', 'the echo before the cut')
    const dropped0 = await net.dropped()

    // both ways: the line never reaches the server; the client's TCP retransmits it
    await net.cut([a], [b])
    await net.cut([b], [a])
    client.send('during')
    await waitFor(async () => (await net.connections(a)).some((c) => c.peer === `${b.ip}:${port}` && c.retrans >= 2), 'the client to retransmit twice', { timeout: 30_000, interval: 50 })
    expect(server.lines, 'what the server got across a two-way cut').to.not.include('got during')
    expect(client.lines.filter((l) => l.startsWith('error') || l === 'closed'), 'the client told of the cut').to.deep.equal([])
    for (const host of [a, b]) expect(between(await net.connections(host), a, b).map((c) => c.state), `the connection in ${host.ip}`).to.deep.equal(['ESTAB'])
    expect(await net.dropped(), 'packets dropped').to.be.greaterThan(dropped0)

    // heal: the retransmission gets through, and the echo comes back
    await net.heal()
    await client.line((l) => l === 'echo during', 'the line sent during the cut to be echoed once healed', 60_000)
    expect(server.lines.filter((l) => l === 'got during'), 'the server got it once').to.have.length(1)

    // one way, b to a: the line reaches the server, its echo does not come back until healed
    await net.cut([b], [a])
    client.send('one-way')
    await server.line((l) => l === 'got one-way', 'the server to get the line across a cut of the other way')
    await waitFor(async () => (await net.connections(b)).some((c) => c.local === `${b.ip}:${port}` && c.retrans >= 2), 'the server to retransmit its echo twice', { timeout: 30_000, interval: 50 })
    expect(client.lines, 'what the client got across a cut of its way in').to.not.include('echo one-way')
    for (const host of [a, b]) expect(between(await net.connections(host), a, b).map((c) => c.state), `the connection in ${host.ip}`).to.deep.equal(['ESTAB'])
    await net.heal()
    await client.line((l) => l === 'echo one-way', 'the echo held back to come once healed', 60_000)
    expect(client.lines.filter((l) => l.startsWith('error') || l === 'closed')).to.deep.equal([])
  })

  it('should cut the p2p traffic of a real node, each node on an address of its own, with its admin still reachable, and let a new connection through once healed', async () => {
    const net = lab as NetLab
    const cluster = new ProcessCluster({ placement: net.placement() })
    try {
      await cluster.start(['chat,storage', 'chat,storage', 'chat,storage'])
      const [s1, s2, s3] = cluster.slots as [NodeSlot, NodeSlot, NodeSlot]
      const [h1, h2, h3] = [await net.host(1), await net.host(2), await net.host(3)]
      // every node listens and dials on its own address: a cut by address hits all its p2p traffic
      cluster.slots.forEach((s, i) => { expect(s.p2p, `node ${i + 1}'s p2p address`).to.match(new RegExp(`^/ip4/10\\.77\\.0\\.${i + 1}/tcp/`)) })
      expect([...between(await net.connections(h3), h3, h1), ...between(await net.connections(h3), h3, h2)].filter((c) => c.state === 'ESTAB'), 'p2p connections of node 3').to.not.have.length(0)
      const dropped0 = await net.dropped()

      await net.cut([h3], [h1, h2])
      await net.cut([h1, h2], [h3])
      expect(await net.rulesInForce(), 'the switch\'s drop rules').to.have.members([h1, h2].flatMap((h) => [`ip saddr ${h3.ip} ip daddr ${h.ip}`, `ip saddr ${h.ip} ip daddr ${h3.ip}`]))
      const sees = async (via: NodeSlot, of: NodeSlot, status: string): Promise<boolean> =>
        (await cluster.api<MemberRow[]>(via, '/nodes')).find((m) => m.peerId === of.peerId)?.status === status
      // both sides notice; node 3's admin answers all along (only p2p addresses are cut)
      await waitFor(async () => await sees(s1, s3, 'down') && await sees(s2, s3, 'down') && await sees(s3, s1, 'down') && await sees(s3, s2, 'down'),
        'nodes 1 and 2 to see node 3 down, and node 3 them', { timeout: 60_000, interval: 100 })
      expect(await net.dropped(), 'packets dropped').to.be.greaterThan(dropped0)
      // a new connection from host 3 to node 1's p2p port is neither made nor refused: its SYNs vanish
      const port = /\/tcp\/(\d+)\//.exec(s1.p2p)?.[1] as string
      const dialer = new InHost(h3, CLIENT, [h1.ip, port])
      programs.push(dialer)
      await waitFor(async () => (await net.connections(h3)).some((c) => c.state === 'SYN-SENT' && c.peer === `${h1.ip}:${port}` && c.retrans >= 1), 'the SYN to node 1 to be sent again', { timeout: 30_000, interval: 50 })
      expect(dialer.lines, 'what the dialer was told across the cut').to.deep.equal([])

      // healed: the SYN sent again gets through
      await net.heal()
      expect(await net.rulesInForce(), 'the switch\'s drop rules once healed').to.deep.equal([])
      await dialer.line((l) => l === 'connected', 'the dial to node 1 to connect once healed', 60_000)
    } finally {
      await cluster.close()
    }
  })
})
