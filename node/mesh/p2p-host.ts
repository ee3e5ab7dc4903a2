import type { Connection, Libp2p, PeerId, PrivateKey } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { ServiceFailures } from '../services/index.ts'
import type { StallWays } from './connection-stalls.ts'
import { DIAL_TIMEOUT_MS, MEMBER_DIAL_TIMEOUT_MS } from './constants.ts'
import { FaultHooks } from './fault-hooks.ts'
import { GossipReset } from './gossip-reset.ts'
import { MemberAlerts } from './member-alerts.ts'
import { heartbeatMs } from './record-pacing.ts'
import { MemberGossip } from './member-gossip.ts'
import { MemberTable } from './membership.ts'
import type { MemberRecord, MemberView } from './membership.ts'
import type { MeshLibp2p } from './mesh-libp2p.ts'
import { Prober } from './prober.ts'
import { Redialer, parseAddrs } from './redialer.ts'

export interface P2pHostOptions {
  readonly privateKey: PrivateKey
  /** config `p2p-listen` */
  readonly listen: string
  /** config `join`: multiaddrs (with /p2p/<peer id>) of nodes to connect to. */
  readonly join: readonly string[]
  /** The cluster pre-shared key file's bytes: only peers holding the same key can connect. */
  readonly clusterKey: Uint8Array
  /** This node's member record, as published on every heartbeat (its p2p addresses are the host's). */
  readonly self: () => MemberRecord
  /** The cluster's partition count (this data dir's): a member telling another is refused, with
   * an error that says so (its journals would go to the wrong replicas). */
  readonly partitions?: number
  /** ms without an answer to a probe, directly or through others, before a member is down
   * (config `failure-timeout`); probes and record heartbeats are paced by it. */
  readonly failureTimeout: number
  /** Find peers on the local network by multicast DNS (config `mdns`); only peers holding the
   * cluster key can connect. @default false */
  readonly mdns?: boolean
  /** The local address outbound TCP dials bind to (tests that cut a real network give each node
   * of one process its own loopback address). @default the system's choice */
  readonly dialFrom?: string
  /** Where the prober's failed rounds are counted (one per node, shared by every service).
   * @default a counter of its own */
  readonly failures?: ServiceFailures
  readonly log: { info (obj: object, msg: string): void, warn (obj: object, msg: string): void }
}

/**
 * The node's libp2p host (mesh-libp2p.ts: behind the cluster key) and its membership: every member
 * publishes its record when it changes and in turn on heartbeats (member-gossip.ts), each node
 * keeps the member table and probes members over the connections that carry their actor traffic,
 * a bounded number in turn per tick and every one found unanswering (prober.ts, probe-rounds.ts:
 * failure detection), tells the others of a member that does not answer it (member-alerts.ts),
 * repairs a broken gossip stream (gossip-reset.ts), and keeps dialling, with backoff,
 * every `join` address and every member it is not connected to (redialer.ts).
 */
export class P2pHost {
  readonly peerId: string
  /** The libp2p node (the actor transport opens its streams on it). */
  readonly libp2p: Libp2p
  readonly #opts: P2pHostOptions
  readonly #node: MeshLibp2p
  readonly #faults: FaultHooks
  readonly #table: MemberTable
  readonly #prober: Prober
  readonly #redialer: Redialer
  readonly #gossip: MemberGossip
  readonly #alerts: MemberAlerts
  readonly #reset: GossipReset
  readonly #heardListeners = new Set<() => void>()
  readonly #heartbeatMs: number
  #heartbeat: ReturnType<typeof setInterval> | undefined
  #stopped = false

  /** Creates the libp2p node, starts membership, and publishes this node's record. */
  static async start (opts: P2pHostOptions): Promise<P2pHost> {
    const faults = new FaultHooks()
    // libp2p and its services (about 500 modules, 1.9 MB of source that V8 keeps: 15-17 MiB of an
    // idle node's memory) load with the first host: a node without a cluster key starts none
    // (docs/performance.md, "Idle memory")
    const { createMeshLibp2p } = await import('./mesh-libp2p.ts')
    const node = await createMeshLibp2p({ ...opts, faults })
    const host = new P2pHost(opts, node, faults)
    await host.#start()
    return host
  }

  private constructor (opts: P2pHostOptions, node: MeshLibp2p, faults: FaultHooks) {
    this.#opts = opts
    this.#node = node
    this.libp2p = node
    this.#faults = faults
    this.peerId = node.peerId.toString()
    this.#heartbeatMs = heartbeatMs(opts.failureTimeout)
    const table = this.#table = new MemberTable({ failureTimeout: opts.failureTimeout })
    this.#redialer = new Redialer({ libp2p: node, join: opts.join, table, blocked: (peer) => faults.blocked(peer), ...(opts.mdns !== undefined && { mdns: opts.mdns }), log: opts.log })
    this.#prober = new Prober({
      libp2p: node,
      detector: table.detector,
      targets: () => table.probed().filter((p) => p !== this.peerId),
      changed: () => { this.#told() },
      // a connection was aborted for silence: dial the member again now, not after a backoff
      redial: (peer) => { this.#redialer.now(peer) },
      alert: (peer, verdict) => { this.#alerts.publish(peer, verdict) },
      failures: opts.failures ?? new ServiceFailures(),
      log: opts.log
    })
    this.#gossip = new MemberGossip({
      libp2p: node,
      table,
      self: opts.self,
      ...(opts.partitions !== undefined && { partitions: opts.partitions }),
      heard: (record, first) => {
        // a member first heard of is probed now (it is listed once it answers), not at the next round
        if (first && record.peerId !== this.peerId) this.#prober.probe(record.peerId)
        this.#told()
      },
      log: opts.log
    })
    this.#alerts = new MemberAlerts({
      libp2p: node,
      table,
      heard: (peer) => {
        this.#prober.probe(peer)
        this.#told()
      },
      log: opts.log
    })
    this.#reset = new GossipReset({
      libp2p: node,
      table,
      records: this.#gossip,
      heartbeatMs: this.#heartbeatMs,
      exempt: (peer) => faults.blocked(peer) || faults.silenced(peer) || this.#gossip.refused(peer),
      log: opts.log
    })
  }

  async #start (): Promise<void> {
    this.#gossip.start()
    this.#alerts.start()
    this.#node.addEventListener('connection:open', (evt) => { this.#opened(evt.detail) })
    this.#node.addEventListener('peer:disconnect', (evt) => { this.#disconnected(evt.detail) })
    // a plain fixed-rate timer, not a PeriodicService: each step is synchronous and handles its
    // own failures (a record not sent is logged, a dial or a close that fails is the redialer's
    // and the reset's), and the gossip reset judges this very timer's lateness (a heartbeat that
    // fired late is this node's own busy event loop), which a loop paced by its runs would blur
    this.#heartbeat = setInterval(() => {
      this.#gossip.heartbeat(this.#table.records().length)
      this.#reset.check()
      this.#redialer.maintain()
    }, this.#heartbeatMs)
    this.#heartbeat.unref()
    await this.#prober.start()
    this.#gossip.publish()
    this.#redialer.maintain()
  }

  /** Publishes this node's record now (after a role change), not at the next heartbeat. */
  announce (): void {
    this.#gossip.publish()
  }

  /** Calls `listener` after every member record received and every change of a member's liveness
   * (the view may have changed); returns a function that stops it. */
  onHeard (listener: () => void): () => void {
    this.#heardListeners.add(listener)
    return () => { this.#heardListeners.delete(listener) }
  }

  /** A dial of `peer` failed with `err` (the actor transport's): when its address refused the
   * connection and none is open, the member's process is gone and it is down now, as when its
   * connection closed (see #disconnected). */
  dialFailed (peer: string, err: unknown): void {
    let id: PeerId
    try {
      id = peerIdFromString(peer)
    } catch {
      return
    }
    this.#downIfRefused(id, err, 'could not be dialled')
  }

  /** Where other nodes reach this one, each ending in /p2p/<peer id>. */
  multiaddrs (): string[] {
    return this.#node.getMultiaddrs().map((ma) => ma.toString())
  }

  /** Peer ids this node has a connection with. */
  connectedPeers (): string[] {
    return [...new Set(this.#node.getConnections().map((c) => c.remotePeer.toString()))].sort()
  }

  /** The connection actor traffic to `peer` should take: the newest open one whose probes are
   * answered (undefined: none open; dial it). */
  connectionFor (peer: string): Connection | undefined {
    return this.#prober.connectionFor(peer)
  }

  /** The redialer's dials so far (join addresses and members). */
  dials (): { readonly started: number, readonly connected: number, readonly failed: number, readonly timedOut: number } {
    return this.#redialer.stats
  }

  /** What this node's membership sent so far: probes (pings), ping-reqs, member records and
   * alerts it published (each published message is forwarded by gossipsub to a few peers). */
  membershipSent (): { readonly pings: number, readonly pingReqs: number, readonly records: number, readonly alerts: number } {
    return { ...this.#prober.sent, records: this.#gossip.sent, alerts: this.#alerts.sent }
  }

  /** Other members as this node sees them (their records, and failure detection's verdicts). */
  members (): MemberView[] {
    return this.#table.view()
  }

  /** Round trip to a connected peer, ms. */
  async ping (peer: string): Promise<number> {
    const connection = this.#node.getConnections().find((c) => c.remotePeer.toString() === peer)
    if (connection === undefined) throw new Error(`not connected to ${peer}`)
    return await this.#node.services.ping.ping(connection.remoteAddr, { signal: AbortSignal.timeout(DIAL_TIMEOUT_MS) })
  }

  /** Fault injection for tests: refuses every connection to and from these peers and closes the
   * open ones (as a firewall that rejects would), until `heal`. */
  async partition (peerIds: readonly string[]): Promise<void> {
    await this.#faults.partition(this.#node, peerIds)
  }

  /** Fault injection for tests: a silent drop. Connections to and from these peers, open and new,
   * stay open but carry nothing the chosen ways (both by default), until `heal`. */
  async silence (peerIds: readonly string[], ways: StallWays = { inbound: true, outbound: true }): Promise<void> {
    await this.#faults.silence(this.#node, peerIds, ways)
  }

  /** Ends `partition` and `silence`, and reconnects at once rather than at the end of a backoff. */
  heal (): void {
    this.#faults.heal()
    this.#redialer.healed()
  }

  async stop (): Promise<void> {
    this.#stopped = true
    this.#gossip.stop()
    this.#alerts.stop()
    clearInterval(this.#heartbeat)
    this.#redialer.stop()
    await this.#prober.stop()
    await this.#node.stop()
  }

  #told (): void {
    for (const listener of [...this.#heardListeners]) listener()
  }

  /** A new connection to a member is probed at once: a member that comes back (a healed path, a
   * restart) is up as soon as it answers. A connection to a peer a test silenced is stalled too. */
  #opened (connection: Connection): void {
    this.#faults.opened(connection)
    if (!this.#stopped && this.#table.has(connection.remotePeer.toString())) {
      this.#prober.probeConnection(connection)
      this.#prober.probe(connection.remotePeer.toString())
    }
  }

  /** A member's connection closed: it is dialled again at once; if nothing listens at its address
   * any more (its process is gone: the connection is refused at once), it is down now, not after
   * the failure timeout. A member cut off by a silent network is left to the probes (its dial
   * hangs, it is not refused). */
  #disconnected (peer: PeerId): void {
    const known = this.#table.view().find((m) => m.peerId === peer.toString())
    if (this.#stopped || known === undefined || known.status === 'down' || this.#faults.blocked(known.peerId)) return
    const addrs = parseAddrs(known.addresses.p2p)
    // not awaited (an event handler): the chain ends in its own failure handler
    void this.#node.peerStore.merge(peer, { multiaddrs: addrs })
      .then(() => this.#node.dial(peer, { signal: AbortSignal.timeout(MEMBER_DIAL_TIMEOUT_MS) }))
      .then(() => undefined, (err: unknown) => { this.#downIfRefused(peer, err, 'closed its connection') })
  }

  /** A dial of `peer` failed: refused with no connection open means its process is gone (down now). */
  #downIfRefused (peer: PeerId, err: unknown, what: string): void {
    const refused = /ECONNREFUSED|connection refused/i.test(String((err as Error).message)) ||
      ((err as { errors?: unknown[] }).errors ?? []).some((e) => /ECONNREFUSED/.test(String((e as Error).message)))
    if (this.#stopped || !refused || this.#faults.blocked(peer.toString()) || this.#node.getConnections(peer).length > 0) return
    if (this.#table.unreachable(peer.toString())) {
      this.#opts.log.info({ peer: peer.toString() }, `member ${peer.toString()} ${what} and refuses new connections: down now`)
      this.#told()
    }
  }
}

/** Starts a p2p host (P2pHost.start). */
export async function startP2pHost (opts: P2pHostOptions): Promise<P2pHost> {
  return await P2pHost.start(opts)
}
