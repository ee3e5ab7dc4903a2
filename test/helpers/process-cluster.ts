import { awaitCaughtUp } from './caught-up.ts'
import type { CatchUpRow } from './caught-up.ts'
import { randomUUID } from 'node:crypto'
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { rendezvousOwner } from '../../node/mesh/index.ts'
import { NODE_BOOT_MS, chatClient, runCli, startNodeProcess } from './node-process.ts'
import type { NodeProcess } from './node-process.ts'
import { watchSecret } from './secret-watch.ts'
import { tempDir } from './temp-dir.ts'
import { isUnavailable, retryUnavailable } from './retry-unavailable.ts'
import { fetchTrusting } from './tls-pair.ts'
import type { TlsPair } from './tls-pair.ts'
import { waitFor } from './wait-for.ts'

/** One member of a ProcessCluster: its process now, and what outlives a restart (its data dir,
 * hence its peer id). */
export interface NodeSlot {
  readonly node: NodeProcess
  readonly peerId: string
  /** Its p2p multiaddr, with /p2p/<peerId> (what --join takes). */
  readonly p2p: string
  readonly dir: string
  /** --role */
  readonly roles: string
  /** the flags it was started with, besides the cluster's own */
  readonly args: readonly string[]
}

/** A member as GET /api/v1/nodes lists it (the fields the tests read). */
export interface MemberRow { readonly peerId: string, readonly status: string, readonly roles: string[], readonly capacity: number, readonly settled?: boolean }

export interface ProcessClusterOptions {
  /** --failure-timeout of every node: short, so a dead member is noticed within a test. @default 1500 */
  readonly failureTimeout?: number
  /** Flags every node starts with (after the cluster's own). @default none */
  readonly args?: readonly string[]
  /** Every node serves TLS with this pair (tls-pair.ts), and the cluster's own calls trust it. @default none: plain */
  readonly tls?: TlsPair
  /** Where each node runs and how this process reaches it (net-namespace.ts: a network namespace
   * per node). @default this process's namespace, every port on 127.0.0.1 */
  readonly placement?: NodePlacement
  /** How long a node may take to get ready. @default NODE_BOOT_MS */
  readonly bootMs?: number
}

/** Where the node of slot `index` (0, 1, ...) runs: a command prefix and its listen flags, and its
 * gRPC and admin addresses as this process reaches them. */
export interface NodePlacement {
  place (index: number): Promise<{ prefix: readonly string[], args: readonly string[] }>
  reach (index: number, node: NodeProcess): Promise<{ grpc: string, admin: string }>
}

/** How long the members may take to see each other up (two spec files of five nodes each at once
 * on two cores take tens of seconds where one alone takes one or two). */
const CONVERGE_MS = 60_000

/** A poll of a node's admin API that failed the way a client retries (a 503, a connection a
 * starved node did not accept in time) is a "not yet", asked again at the next poll; anything
 * else fails the wait. */
async function polled (check: () => Promise<boolean>): Promise<boolean> {
  try {
    return await check()
  } catch (err) {
    if (isUnavailable(err)) return false
    throw err
  }
}

/**
 * Real `plexi node start` processes on loopback that share a cluster key, each in its own temp
 * data dir: the cluster of the process tests (test/integration, test/chaos). A slot keeps its data
 * dir across restarts. `close()` kills whatever still runs and removes every dir.
 */
export class ProcessCluster {
  readonly slots: NodeSlot[] = []
  readonly #opts: ProcessClusterOptions
  readonly #dirs: Array<{ path: string, remove: () => Promise<void> }> = []
  /** Every process started, for close() (a restarted slot's old one included). */
  readonly #started: NodeProcess[] = []
  #keyFile = ''
  /** fetch, trusting the cluster's certificate when it serves TLS. */
  readonly #fetch: typeof fetch

  constructor (opts: ProcessClusterOptions = {}) {
    this.#opts = opts
    this.#fetch = fetchTrusting(opts.tls?.ca)
  }

  /** The cluster key file every node was started with (after start()): a process that joins the
   * cluster in-process needs it too. */
  get keyFile (): string {
    return this.#keyFile
  }

  /** The admin endpoints' scheme. */
  get #scheme (): string {
    return this.#opts.tls === undefined ? 'http' : 'https'
  }

  /** Starts one node per entry of `roles`, each joining the first, and waits until every one sees
   * them all up. */
  async start (roles: ReadonlyArray<string | { roles: string, args?: readonly string[] }>): Promise<void> {
    const keyDir = await this.#tempDir()
    this.#keyFile = join(keyDir, 'cluster.key')
    const key = await runCli(['cluster', 'keygen'])
    if (key.code !== 0) throw new Error(`plexi cluster keygen failed: ${key.stderr}`)
    await writeFile(this.#keyFile, key.stdout, { mode: 0o600 })
    watchSecret(key.stdout.split('\n')[2] ?? '', 'the cluster key')
    for (const entry of roles) {
      const spec = typeof entry === 'string' ? { roles: entry } : entry
      this.slots.push(await this.#boot(this.slots.length, await this.#tempDir(), spec.roles, spec.args ?? [], this.slots[0]?.p2p))
    }
    await this.awaitUp(this.slots.length)
    // and settled: placement is then what every node computes from the members up (a member that
    // has just come up takes entities of roles others serve once it has been up the settle time)
    await this.awaitSettled(this.slots.length)
    // and every storage node a full replica of its partitions: a new one is a learner until it
    // pulled them from every other storage node, and a fault that takes one of those down before
    // then holds it back (and the entities whose replicas it is) until that one is back
    await this.awaitCaughtUp()
  }

  /** Waits until every storage node `via` lists up holds all its partitions whole (caught up). */
  async awaitCaughtUp (via: NodeSlot | undefined = this.running()[0]): Promise<void> {
    if (via === undefined || !this.slots.some((s) => s.roles === 'all' || s.roles.split(',').includes('storage'))) return
    const storage = this.running().filter((s) => s.roles === 'all' || s.roles.split(',').includes('storage')).map((s) => s.peerId)
    await awaitCaughtUp(async () => await this.api<CatchUpRow[]>(via, '/storage'), undefined, storage)
  }

  /** Waits until each of `slots` (every running one by default) sees `count` members up, each of
   * them settled. */
  async awaitSettled (count: number, slots: readonly NodeSlot[] = this.running()): Promise<void> {
    for (const s of slots) {
      await waitFor(async () => await polled(async () => (await this.api<MemberRow[]>(s, '/nodes')).filter((m) => m.status === 'up' && m.settled !== false).length === count),
        `${s.peerId} to see ${count} members up and settled`, { timeout: CONVERGE_MS, interval: 100 })
    }
  }

  /**
   * Starts the node of slot `index` again on its data dir (same peer id), joining the members
   * that run (`join`: their p2p addresses), and puts it in the slot. Its previous process must
   * have exited.
   */
  async restart (index: number, join: readonly NodeSlot[] = this.running().filter((s) => s !== this.slots[index])): Promise<NodeSlot> {
    const slot = this.slots[index]
    if (slot === undefined) throw new RangeError(`no slot ${index} (the cluster has ${this.slots.length})`)
    const again = await this.#boot(index, slot.dir, slot.roles, slot.args, join.map((s) => s.p2p).join(','))
    if (again.peerId !== slot.peerId) throw new Error(`slot ${index} came back as ${again.peerId}, not ${slot.peerId}`)
    this.slots[index] = again
    return again
  }

  /** Starts one more node (a slot of its own, a fresh data dir) joining the members that run; it
   * resolves once that node is ready (the others may not see it up yet). */
  async add (roles: string, args: readonly string[] = []): Promise<NodeSlot> {
    const slot = await this.#boot(this.slots.length, await this.#tempDir(), roles, args, this.running().map((s) => s.p2p).join(','))
    this.slots.push(slot)
    return slot
  }

  /** The slots whose process has not exited. */
  running (): NodeSlot[] {
    return this.slots.filter((s) => !s.node.hasExited)
  }

  /** The admin API of `slot` (bearer its admin token): the answer's JSON, or a throw naming the
   * status (and carrying it, `status`: isUnavailable retries a 503). */
  async api<T>(slot: NodeSlot, path: string, init: { method?: string, body?: unknown } = {}): Promise<T> {
    const res = await this.#fetch(`${this.#scheme}://${slot.node.admin}/api/v1${path}`, {
      method: init.method ?? 'GET',
      headers: { authorization: `Bearer ${slot.node.adminToken}`, ...(init.body !== undefined && { 'content-type': 'application/json' }) },
      ...(init.body !== undefined && { body: JSON.stringify(init.body) })
    })
    const text = await res.text()
    if (!res.ok) throw Object.assign(new Error(`${init.method ?? 'GET'} ${path} on ${slot.peerId}: ${res.status} ${text}`), { status: res.status })
    return JSON.parse(text) as T
  }

  /** The members `slot` sees up. */
  async upCount (slot: NodeSlot): Promise<number> {
    return (await this.api<MemberRow[]>(slot, '/nodes')).filter((m) => m.status === 'up').length
  }

  /** Waits until each of `slots` (every running one by default) sees `count` members up. */
  async awaitUp (count: number, slots: readonly NodeSlot[] = this.running()): Promise<void> {
    for (const s of slots) {
      try {
        await waitFor(async () => await polled(async () => await this.upCount(s) === count), `${s.peerId} to see ${count} members up`, { timeout: CONVERGE_MS, interval: 100 })
      } catch (err) {
        // what it sees instead, and how the others see the members it does not see up: a failure's
        // post-mortem at a size where a run takes many minutes to come back to this point
        throw new Error(`${(err as Error).message}; ${await this.viewsOf(s).catch((e: Error) => `its view could not be read: ${e.message}`)}`)
      }
    }
  }

  /** `slot`'s view in a line: its members by status, and, for each member it does not list up, how
   * every other running node lists that member. */
  async viewsOf (slot: NodeSlot): Promise<string> {
    const view = await this.api<MemberRow[]>(slot, '/nodes')
    const byStatus = new Map<string, number>()
    for (const m of view) byStatus.set(m.status, (byStatus.get(m.status) ?? 0) + 1)
    const listed = new Set(view.map((m) => m.peerId))
    const notUp = [...view.filter((m) => m.status !== 'up').map((m) => m.peerId), ...this.running().map((r) => r.peerId).filter((p) => !listed.has(p))]
    const others = await Promise.all(this.running().filter((r) => r !== slot).map(async (r) => await this.api<MemberRow[]>(r, '/nodes').catch(() => undefined)))
    const elsewhere = notUp.map((peer) => {
      const seen = new Map<string, number>()
      for (const v of others) {
        const status = v === undefined ? 'unreadable' : v.find((m) => m.peerId === peer)?.status ?? 'absent'
        seen.set(status, (seen.get(status) ?? 0) + 1)
      }
      return `${peer} is ${view.find((m) => m.peerId === peer)?.status ?? 'absent'} here, elsewhere ${[...seen].map(([k, n]) => `${n} ${k}`).join(', ')}`
    })
    return `it lists ${[...byStatus].map(([k, n]) => `${n} ${k}`).join(', ')}${elsewhere.length > 0 ? `; ${elsewhere.join('; ')}` : ''}`
  }

  /**
   * The member placement gives `type/key` (an entity of `role`) among the members `via` lists up
   * with that role, less `without` (peer ids): what every node computes from that view.
   */
  async ownerOf (via: NodeSlot, type: string, role: string, key: string, without: readonly string[] = []): Promise<string | undefined> {
    const members = (await this.api<MemberRow[]>(via, '/nodes')).filter((m) => m.status === 'up' && m.roles.includes(role) && !without.includes(m.peerId))
    return rendezvousOwner(`${type}/${key}`, members)
  }

  /** The first key `<prefix><n>` (n < 500) whose `type` entity (of `role`) placement gives to
   * `owner`, in `via`'s view; throws when none does. */
  async keyOwnedBy (via: NodeSlot, type: string, role: string, owner: NodeSlot, prefix: string): Promise<string> {
    for (let i = 0; i < 500; i++) {
      if (await this.ownerOf(via, type, role, `${prefix}${i}`) === owner.peerId) return `${prefix}${i}`
    }
    throw new Error(`no ${type} key ${prefix}<n> that placement gives to ${owner.peerId}`)
  }

  /** `perMember` keys `<prefix><n>` (n < 1,000) for each member `via` lists up with `role`, in
   * key order: placement gives each member its share, whatever the peer ids (12 fixed keys over
   * three members leave one without any in 0.8% of runs). */
  async keysSpread (via: NodeSlot, type: string, role: string, prefix: string, perMember: number): Promise<string[]> {
    const members = (await this.api<MemberRow[]>(via, '/nodes')).filter((m) => m.status === 'up' && m.roles.includes(role))
    const taken = new Map(members.map((m) => [m.peerId, 0]))
    const keys: string[] = []
    for (let i = 0; i < 1_000 && keys.length < perMember * members.length; i++) {
      const owner = rendezvousOwner(`${type}/${prefix}${i}`, members)
      const count = owner === undefined ? undefined : taken.get(owner)
      if (owner === undefined || count === undefined || count >= perMember) continue
      taken.set(owner, count + 1)
      keys.push(`${prefix}${i}`)
    }
    if (keys.length < perMember * members.length) throw new Error(`no ${perMember} ${type} keys ${prefix}<n> for each of ${members.length} members`)
    return keys
  }

  /** Adds a user through `slot`'s admin API; resolves with its token. Asked again while the node
   * answers 503 (the user directory's owner not reached yet: a cluster just formed on a busy
   * machine), with a client id: a try whose answer was lost is not an add of a second user. */
  async addUser (name: string, slot: NodeSlot = this.running()[0] as NodeSlot): Promise<string> {
    const clientId = randomUUID()
    return (await retryUnavailable(async () => await this.api<{ token: string }>(slot, '/users', { method: 'POST', body: { name, clientId } }))).token
  }

  /** Prometheus text of `slot`'s /metrics (asked again while the connection fails: a node starved
   * of CPU that did not take it in time). */
  async metrics (slot: NodeSlot): Promise<string> {
    return await retryUnavailable(async () => await (await this.#fetch(`${this.#scheme}://${slot.node.admin}/metrics`)).text())
  }

  /** Whether `slot`'s /readyz answers 200. */
  async ready (slot: NodeSlot): Promise<boolean> {
    return (await this.#fetch(`${this.#scheme}://${slot.node.admin}/readyz`)).status === 200
  }

  /** A room's whole history read through `slot`'s gRPC (every page), read again from the start
   * while the node answers UNAVAILABLE or DEADLINE_EXCEEDED (its room's owner slow to answer on a
   * busy machine: a client reads again). */
  async history (slot: NodeSlot, room: string, token: string): Promise<Array<{ seq: number, text: string }>> {
    return await retryUnavailable(async () => await this.#history(slot, room, token))
  }

  async #history (slot: NodeSlot, room: string, token: string): Promise<Array<{ seq: number, text: string }>> {
    const client = chatClient(slot.node.grpc, token, this.#opts.tls?.ca)
    try {
      const out: Array<{ seq: number, text: string }> = []
      // bounded: a page is 1000 messages, and no test posts a million
      for (let page = 0; page < 1_000; page++) {
        const got = await client.call<{ messages?: Array<{ seq: number | string, text: string }> }>('History', { room, after: out.at(-1)?.seq ?? 0, limit: 1000 })
        for (const m of got.messages ?? []) out.push({ seq: Number(m.seq), text: m.text })
        if ((got.messages ?? []).length < 1000) return out
      }
      throw new Error(`room ${room} has more than a million messages`)
    } finally {
      client.close()
    }
  }

  /** Writes every process's log lines so far to `dir`/<n>-<peer id>.log, n in start order. */
  async saveLogs (dir: string): Promise<void> {
    await mkdir(dir, { recursive: true })
    for (const [i, node] of this.#started.entries()) {
      const peer = node.logs.find((l) => typeof l.peerId === 'string')?.peerId as string | undefined
      await writeFile(join(dir, `${i}-${peer ?? 'unknown'}.log`), node.logs.map((l) => JSON.stringify(l)).join('\n'))
    }
  }

  /** Kills every process still running (SIGKILL; SIGTERM with PLEXI_NODE_CPU_PROF) and removes every dir. With PLEXI_TEST_LOG_DIR
   * set, every process's log lines are saved there first (saveLogs: a failure's post-mortem). */
  async close (): Promise<void> {
    const logDir = process.env.PLEXI_TEST_LOG_DIR
    if (logDir !== undefined && logDir !== '') await this.saveLogs(logDir).catch(() => undefined)
    // a node writing its CPU profile (PLEXI_NODE_CPU_PROF) does so at a clean exit only
    const signal = process.env.PLEXI_NODE_CPU_PROF !== undefined && process.env.PLEXI_NODE_CPU_PROF !== '' ? 'SIGTERM' : 'SIGKILL'
    for (const node of this.#started) await node.stop(signal, 20_000).catch(() => undefined)
    for (const d of this.#dirs) await d.remove()
  }

  async #boot (index: number, dir: string, roles: string, args: readonly string[], join: string | undefined): Promise<NodeSlot> {
    const placement = this.#opts.placement
    const where = await placement?.place(index)
    const started = await startNodeProcess(dir, [
      '--role', roles, '--cluster-key-file', this.#keyFile, '--p2p-listen', '/ip4/127.0.0.1/tcp/0',
      '--failure-timeout', String(this.#opts.failureTimeout ?? 1_500), '--shutdown-timeout', '3000', ...where?.args ?? [],
      ...this.#opts.tls?.args ?? [], ...this.#opts.args ?? [], ...args, ...(join === undefined || join === '' ? [] : ['--join', join])
    ], this.#opts.bootMs ?? NODE_BOOT_MS, where?.prefix ?? [])
    this.#started.push(started)
    const ready = await started.awaitLog((l) => typeof l.msg === 'string' && l.msg.startsWith('node ready'), 'node ready')
    // placed elsewhere, the node is reached at the addresses its placement gives (the same process)
    const node: NodeProcess = placement === undefined ? started : { ...started, ...await placement.reach(index, started), get hasExited () { return started.hasExited } }
    return { node, peerId: ready.peerId as string, p2p: (ready.p2p as string[])[0] as string, dir, roles, args }
  }

  async #tempDir (): Promise<string> {
    const dir = await tempDir()
    this.#dirs.push(dir)
    return dir.path
  }
}
