/**
 * A network of its own for node processes, cut the way a switch cuts (issue 35, part 6): packets
 * dropped on the way, connections left ESTABLISHED, nothing told to either end.
 *
 * Every host is a network namespace of its own (`unshare --net`, held open by a `cat` that exits
 * when this process closes its stdin), with one interface, `eth0` at 10.77.0.N, whose other end is
 * a port of a bridge in a further namespace, the switch. A node started in host N listens and
 * dials from 10.77.0.N only, so its traffic is told apart by address in both directions. A cut is
 * nftables `drop` rules on the bridge's forward hook (bridge family), from a set of hosts to
 * another: both ways, one way, a node or a group. ARP still passes, so the neighbours stay known
 * and a cut stalls TCP silently; nothing is rejected.
 *
 * The test process stays in the machine's namespace and reaches the nodes' gRPC and admin ports
 * through a forwarder (ns-forward.ts) that runs in the switch namespace, bound to the bridge at
 * 10.77.0.254 (no cut names it), and listens on a unix socket in a temp dir; `forward()` opens a
 * loopback port here that leads to one address there. Nothing in the machine's own namespace is
 * configured: every `ip` and `nft` runs through nsenter into a namespace checked first to be one
 * of the lab's (not this process's).
 */
import { execFileSync, spawn } from 'node:child_process'
import type { ChildProcessByStdio } from 'node:child_process'
import { accessSync, constants, readlinkSync } from 'node:fs'
import { connect, createServer } from 'node:net'
import type { Server, Socket } from 'node:net'
import { join } from 'node:path'
import type { Readable, Writable } from 'node:stream'
import { fileURLToPath } from 'node:url'
import type { NodeProcess } from './node-process.ts'
import type { NodePlacement } from './process-cluster.ts'
import { tempDir } from './temp-dir.ts'

/** The lab's addresses: host N is SUBNET.N (1 to 253), the switch SUBNET.254. */
const SUBNET = '10.77.0'
const SWITCH_IP = `${SUBNET}.254`
/** The nftables table (bridge family, in the switch namespace) that holds the cuts. */
const TABLE = 'plexi_cut'
/** How long a setup command, a namespace or the forwarder may take to start. */
const START_MS = 15_000
const FORWARDER = fileURLToPath(new URL('./ns-forward.ts', import.meta.url))
/** What a machine needs for a lab: the commands, and root. */
const COMMANDS = ['unshare', 'nsenter', 'ip', 'nft', 'ss', 'cat'] as const
const INSTALL = 'root, with unshare and nsenter (util-linux), ip and ss (iproute2) and nft (nftables): apt-get install nftables iproute2 util-linux'

/** One host of a lab: its namespace, its address and the switch port it hangs on. */
export interface NetHost {
  /** 1, 2, ...: its address is 10.77.0.<index> */
  readonly index: number
  readonly ip: string
  /** The command prefix that runs a program in the host's namespace (exec'd in place: the pid
   * spawn() gives is the program's). */
  readonly prefix: readonly string[]
  readonly ns: Namespace
}

/** A TCP connection as `ss -tni` shows it in a host's namespace. */
export interface TcpConnection {
  readonly state: string
  readonly local: string
  readonly peer: string
  /** bytes sent and not acknowledged yet (Send-Q) */
  readonly sendQ: number
  /** segments sent and not acknowledged, and retransmissions so far (ss -i's unacked, retrans) */
  readonly unacked: number
  readonly retrans: number
}

/** A network namespace held open by a process of ours. */
interface Namespace {
  readonly pid: number
  /** /proc/<pid>/ns/net's link ('net:[4026532…]'): checked before every command run in it. */
  readonly id: string
  readonly holder: ChildProcessByStdio<Writable, Readable, Readable>
}

/**
 * Why a lab cannot be made on this machine (not root, a command missing, or the kernel refusing a
 * namespace, a bridge, a veth pair or an nftables bridge table), saying what to install; undefined
 * when it can. Tries it in a throwaway namespace.
 */
export function netLabMissing (): string | undefined {
  if (process.getuid?.() !== 0) return `a lab of network namespaces needs ${INSTALL} (this process is not root)`
  const missing = COMMANDS.filter((c) => whichOf(c) === undefined)
  if (missing.length > 0) return `a lab of network namespaces needs ${INSTALL} (missing: ${missing.join(', ')})`
  try {
    execFileSync(bin('unshare'), ['--net', 'sh', '-c', `${bin('ip')} link add b0 type bridge && ${bin('ip')} link add v0 type veth peer name v1 && ${bin('nft')} add table bridge ${TABLE}`], { stdio: 'pipe', timeout: START_MS })
  } catch (err) {
    const e = err as { stderr?: Buffer, message: string }
    return `a lab of network namespaces needs ${INSTALL}; trying one failed: ${(e.stderr?.toString() ?? '').trim() || e.message}`
  }
  return undefined
}

/** `command`'s absolute path (root's sbin dirs searched too, should PATH lack them). */
function bin (command: typeof COMMANDS[number]): string {
  const path = whichOf(command)
  if (path === undefined) throw new Error(`${command} not found: ${INSTALL}`)
  return path
}

function whichOf (command: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(':').concat(['/usr/sbin', '/sbin', '/usr/bin', '/bin'])) {
    try {
      accessSync(join(dir, command), constants.X_OK)
      return join(dir, command)
    } catch {
      // not in this one
    }
  }
  return undefined
}

/** This process's own network namespace: the one never to touch. */
function ownNamespace (): string {
  return readlinkSync('/proc/self/ns/net')
}

/** Starts a process in a new network namespace with its loopback up, holding it open until its
 * stdin closes. */
async function holdNamespace (): Promise<Namespace> {
  const holder = spawn(bin('unshare'), ['--net', 'sh', '-c', `${bin('ip')} link set lo up && echo ready && exec ${bin('cat')}`], { stdio: ['pipe', 'pipe', 'pipe'] })
  let err = ''
  holder.stderr.on('data', (chunk: Buffer) => { err += chunk.toString() })
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => { holder.kill('SIGKILL'); reject(new Error(`unshare --net did not start in ${START_MS} ms: ${err}`)) }, START_MS)
    holder.stdout.once('data', () => { clearTimeout(timer); resolve() })
    holder.once('exit', (code) => { clearTimeout(timer); reject(new Error(`unshare --net exited (${code}): ${err.trim()}`)) })
  })
  const pid = holder.pid as number
  const id = readlinkSync(`/proc/${pid}/ns/net`)
  if (id === ownNamespace()) {
    holder.kill('SIGKILL')
    throw new Error('unshare --net left the process in this namespace')
  }
  return { pid, id, holder }
}

/** Runs a command to its end; its stdout, or a throw with its stderr. */
async function run (argv: readonly string[], input?: string): Promise<string> {
  const [command, ...args] = argv
  const child = spawn(command as string, args, { stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] })
  let out = ''
  let err = ''
  child.stdout?.on('data', (chunk: Buffer) => { out += chunk.toString() })
  child.stderr?.on('data', (chunk: Buffer) => { err += chunk.toString() })
  // a command that exits before reading its input fails on its exit code, not on EPIPE here
  child.stdin?.on('error', () => undefined)
  child.stdin?.end(input)
  return await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`${argv.join(' ')} did not finish in ${START_MS} ms`)) }, START_MS)
    child.on('error', (e) => { clearTimeout(timer); reject(e) })
    child.on('close', (code) => {
      clearTimeout(timer)
      if (code === 0) resolve(out)
      else reject(new Error(`${argv.join(' ')} failed (${code}): ${err.trim()}`))
    })
  })
}

export class NetLab {
  readonly hosts: NetHost[] = []
  readonly #switch: Namespace
  readonly #dir: { path: string, remove: () => Promise<void> }
  readonly #forwarder: ChildProcessByStdio<Writable, Readable, Readable>
  /** Directed cuts in force, as `from>to` address pairs. */
  readonly #cuts = new Set<string>()
  readonly #servers: Server[] = []
  readonly #sockets = new Set<Socket>()
  #closed = false

  private constructor (sw: Namespace, dir: { path: string, remove: () => Promise<void> }, forwarder: ChildProcessByStdio<Writable, Readable, Readable>) {
    this.#switch = sw
    this.#dir = dir
    this.#forwarder = forwarder
  }

  /** A switch with no host yet. Throws netLabMissing()'s reason when the machine cannot. */
  static async create (): Promise<NetLab> {
    const missing = netLabMissing()
    if (missing !== undefined) throw new Error(missing)
    const dir = await tempDir('plexi-netlab-')
    const sw = await holdNamespace()
    try {
      await NetLab.#in(sw, [bin('ip'), '-batch', '-'], [
        'link add br0 type bridge', `addr add ${SWITCH_IP}/24 dev br0`, 'link set br0 up'
      ].join('\n'))
      await NetLab.#in(sw, [bin('nft'), '-f', '-'], `table bridge ${TABLE} {\n  counter dropped { }\n  chain forward { type filter hook forward priority 0; policy accept; }\n}\n`)
      const socket = join(dir.path, 'forward.sock')
      const forwarder = spawn(bin('nsenter'), [`--net=/proc/${sw.pid}/ns/net`, '--', process.execPath, FORWARDER, socket], { stdio: ['pipe', 'pipe', 'pipe'] })
      let err = ''
      forwarder.stderr.on('data', (chunk: Buffer) => { err += chunk.toString() })
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => { forwarder.kill('SIGKILL'); reject(new Error(`the forwarder did not start in ${START_MS} ms: ${err}`)) }, START_MS)
        forwarder.stdout.once('data', () => { clearTimeout(timer); resolve() })
        forwarder.once('exit', (code) => { clearTimeout(timer); reject(new Error(`the forwarder exited (${code}): ${err.trim()}`)) })
      })
      return new NetLab(sw, dir, forwarder)
    } catch (err) {
      sw.holder.kill('SIGKILL')
      await dir.remove()
      throw err
    }
  }

  /** Runs `argv` in namespace `ns` (after checking that it is still the lab's, never this
   * process's own). */
  static async #in (ns: Namespace, argv: readonly string[], input?: string): Promise<string> {
    const now = readlinkSync(`/proc/${ns.pid}/ns/net`)
    if (now !== ns.id || now === ownNamespace()) throw new Error(`namespace of pid ${ns.pid} is ${now}, not the lab's ${ns.id}`)
    return await run([bin('nsenter'), `--net=/proc/${ns.pid}/ns/net`, '--', ...argv], input)
  }

  /** Host `index` (1, 2, ...), made with those before it if they are not there yet. */
  async host (index: number): Promise<NetHost> {
    if (!Number.isInteger(index) || index < 1 || index > 253) throw new RangeError(`a host's index is 1 to 253, not ${index}`)
    while (this.hosts.length < index) await this.#addHost()
    return this.hosts[index - 1] as NetHost
  }

  async #addHost (): Promise<void> {
    const index = this.hosts.length + 1
    const ip = `${SUBNET}.${index}`
    const ns = await holdNamespace()
    try {
      // the veth pair: port h<N> on the bridge, eth0 in the host
      await NetLab.#in(this.#switch, [bin('ip'), '-batch', '-'], [
        `link add h${index} type veth peer name eth0 netns ${ns.pid}`, `link set h${index} master br0`, `link set h${index} up`
      ].join('\n'))
      await NetLab.#in(ns, [bin('ip'), '-batch', '-'], [`addr add ${ip}/24 dev eth0`, 'link set eth0 up'].join('\n'))
    } catch (err) {
      ns.holder.kill('SIGKILL')
      throw err
    }
    this.hosts.push({ index, ip, ns, prefix: [bin('nsenter'), `--net=/proc/${ns.pid}/ns/net`, '--'] })
  }

  /** Drops every packet from each host of `from` to each of `to` (one way; cut(a, b) and
   * cut(b, a) for both ways), from now on until healed. */
  async cut (from: readonly NetHost[], to: readonly NetHost[]): Promise<void> {
    for (const a of from) for (const b of to) if (a !== b) this.#cuts.add(`${a.ip}>${b.ip}`)
    await this.#apply()
  }

  /** Ends the cuts from `from` to `to`; every cut when called without them. */
  async heal (from?: readonly NetHost[], to?: readonly NetHost[]): Promise<void> {
    if (from === undefined || to === undefined) this.#cuts.clear()
    else for (const a of from) for (const b of to) this.#cuts.delete(`${a.ip}>${b.ip}`)
    await this.#apply()
  }

  /** The cuts in force, as `10.77.0.1>10.77.0.2`. */
  cuts (): string[] {
    return [...this.#cuts].sort()
  }

  /** The rules replaced in one nftables transaction: a cut and a heal each take effect at once. */
  async #apply (): Promise<void> {
    const rules = [...this.#cuts].map((pair) => {
      const [from, to] = pair.split('>')
      return `add rule bridge ${TABLE} forward ip saddr ${from} ip daddr ${to} counter name dropped drop`
    })
    await NetLab.#in(this.#switch, [bin('nft'), '-f', '-'], [`flush chain bridge ${TABLE} forward`, ...rules, ''].join('\n'))
  }

  /** The drop rules the switch holds now, as nftables lists them (what the kernel does, not what
   * this object remembers): `ip saddr 10.77.0.1 ip daddr 10.77.0.2` each. */
  async rulesInForce (): Promise<string[]> {
    const out = await NetLab.#in(this.#switch, [bin('nft'), 'list', 'chain', 'bridge', TABLE, 'forward'])
    return out.split('\n').map((l) => l.trim()).filter((l) => l.startsWith('ip saddr')).map((l) => l.replace(/ counter.*$/, ''))
  }

  /** Packets the cuts have dropped since the lab was made. */
  async dropped (): Promise<number> {
    const out = JSON.parse(await NetLab.#in(this.#switch, [bin('nft'), '-j', 'list', 'counter', 'bridge', TABLE, 'dropped'])) as { nftables: Array<{ counter?: { packets: number } }> }
    return out.nftables.find((e) => e.counter !== undefined)?.counter?.packets ?? 0
  }

  /** The TCP connections of `host`'s namespace (every state but listening), as `ss -tni` shows them. */
  async connections (host: NetHost): Promise<TcpConnection[]> {
    const out = await NetLab.#in(host.ns, [bin('ss'), '-tniH'])
    const conns: TcpConnection[] = []
    let last: { state: string, local: string, peer: string, sendQ: number } | undefined
    const push = (info: string): void => {
      if (last === undefined) return
      conns.push({ ...last, unacked: Number(/\bunacked:(\d+)/.exec(info)?.[1] ?? 0), retrans: Number(/\bretrans:\d+\/(\d+)/.exec(info)?.[1] ?? 0) })
      last = undefined
    }
    for (const line of out.split('\n')) {
      if (line.trim() === '') continue
      if (/^\s/.test(line)) { push(line); continue }
      push('')
      const [state, , sendQ, local, peer] = line.trim().split(/\s+/)
      last = { state: state as string, local: local as string, peer: peer as string, sendQ: Number(sendQ) }
    }
    push('')
    return conns
  }

  /** A command run in `host`'s namespace to its end: its stdout. */
  async exec (host: NetHost, argv: readonly string[], input?: string): Promise<string> {
    return await NetLab.#in(host.ns, argv, input)
  }

  /** A loopback address of this process's namespace that leads to `target` (`10.77.0.N:port`)
   * in the lab, through the switch's forwarder. */
  async forward (target: string): Promise<string> {
    const socketPath = join(this.#dir.path, 'forward.sock')
    const server = createServer((client) => {
      client.setNoDelay(true)
      const upstream = connect(socketPath)
      this.#sockets.add(client)
      this.#sockets.add(upstream)
      upstream.write(`${target}\n`)
      client.pipe(upstream)
      upstream.pipe(client)
      upstream.on('error', () => { client.destroy() })
      client.on('error', () => { upstream.destroy() })
      upstream.on('close', () => { client.destroy(); this.#sockets.delete(upstream) })
      client.on('close', () => { upstream.destroy(); this.#sockets.delete(client) })
    })
    this.#servers.push(server)
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(0, '127.0.0.1', () => { resolve() })
    })
    const { port } = server.address() as { port: number }
    return `127.0.0.1:${port}`
  }

  /** A ProcessCluster placement (its `placement` option): the node of slot i runs in host i + 1
   * and listens on its address only (p2p, gRPC, admin); this process reaches its gRPC and admin
   * ports through forward(). */
  placement (): NodePlacement {
    return {
      place: async (index) => {
        const host = await this.host(index + 1)
        return { prefix: host.prefix, args: ['--p2p-listen', `/ip4/${host.ip}/tcp/0`, '--grpc-listen', `${host.ip}:0`, '--admin-listen', `${host.ip}:0`, '--web-listen', `${host.ip}:0`] }
      },
      reach: async (_index: number, node: NodeProcess) => ({ grpc: await this.forward(node.grpc), admin: await this.forward(node.admin) })
    }
  }

  /** Ends the forwarder, the namespaces (once the processes started in them have exited: stop
   * them first) and the temp dir. */
  async close (): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    for (const s of this.#sockets) s.destroy()
    await Promise.all(this.#servers.map(async (s) => { await new Promise((resolve) => { s.close(resolve) }) }))
    const children = [this.#forwarder, this.#switch.holder, ...this.hosts.map((h) => h.ns.holder)]
    await Promise.all(children.map(async (child) => {
      if (child.exitCode !== null || child.signalCode !== null) return
      const gone = new Promise((resolve) => { child.once('exit', resolve) })
      child.stdin.end()
      const timer = setTimeout(() => { child.kill('SIGKILL') }, 5_000)
      await gone
      clearTimeout(timer)
    }))
    await this.#dir.remove()
  }
}
