import { readFile } from 'node:fs/promises'
import { tooOpen } from '../identity/index.ts'
import { noise } from '@chainsafe/libp2p-noise'
import { noiseCrypto } from './noise-crypto.ts'
import { yamux } from '@chainsafe/libp2p-yamux'
import { identify } from '@libp2p/identify'
import type { Identify } from '@libp2p/identify'
import type { Connection, Libp2p, PeerId, PrivateKey } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { ping } from '@libp2p/ping'
import type { Ping } from '@libp2p/ping'
import { tcp } from '@libp2p/tcp'
import { multiaddr } from '@multiformats/multiaddr'
import { mdns } from '@libp2p/mdns'
import { createLibp2p } from 'libp2p'
import { gossipsub } from '@libp2p/gossipsub'
import type { GossipSub } from '@libp2p/gossipsub'
import { clusterKeyProtector } from './cluster-key-protector.ts'
import { ConnectionStalls, addressKey } from './connection-stalls.ts'
import type { StallWays } from './connection-stalls.ts'
import { GOSSIP_QUIET_BEATS, GOSSIP_QUIET_MS, GOSSIP_RESET_MAX_MS, GOSSIP_RESET_MIN_MS, LATE_TIMER_SHARE, MEMBER_DIAL_LOG_EVERY_MS, MEMBER_DIAL_TIMEOUT_MS, MEMBER_REDIAL_MAX_MS } from './constants.ts'
import { ClusterKeyError } from './errors.ts'
import { MEMBERS_TOPIC, MemberTable, decodeMemberRecord, encodeMemberRecord } from './membership.ts'
import type { MemberRecord, MemberView } from './membership.ts'
import { Prober } from './prober.ts'

/** The peer id of a record (already checked to be the sender's). */
function peerIdOf (record: { readonly peerId: string }): PeerId | undefined {
  try {
    return peerIdFromString(record.peerId)
  } catch {
    return undefined
  }
}

/** A join address or a member not connected is dialled again after this long, doubling up to
 * REDIAL_MAX_MS for a join address (MEMBER_REDIAL_MAX_MS for a member: node/mesh/constants.ts),
 * for as long as the node runs: a healed network partition reconnects within seconds, and a node
 * cut off from everyone finds its way back. */
const REDIAL_MIN_MS = 250
const REDIAL_MAX_MS = 5_000
/** One dial of one address: a peer with another cluster key may hang the handshake instead of
 * resetting it (the mismatched pnet key turns the noise handshake into noise), so every dial is bounded. */
const DIAL_TIMEOUT_MS = 3_000
/** mDNS queries this often; the tag keeps Plexi clusters apart from other libp2p software. */
const MDNS_INTERVAL_MS = 10_000
const MDNS_SERVICE_TAG = 'plexi.local'

/** The first line of a libp2p pre-shared key file (`plexi cluster keygen`). */
const PSK_HEADER = '/key/swarm/psk/1.0.0/'

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
  readonly log: { info (obj: object, msg: string): void, warn (obj: object, msg: string): void }
}

export interface P2pHost {
  readonly peerId: string
  /** The libp2p node (the actor transport opens its streams on it). */
  readonly libp2p: Libp2p
  /** Publishes this node's record now (after a role change), not at the next heartbeat. */
  announce (): void
  /** Calls `listener` after every member record received and every change of a member's liveness
   * (the view may have changed); returns a function that stops it. */
  onHeard (listener: () => void): () => void
  /** A dial of `peer` failed with `err` (the actor transport's): when its address refused the
   * connection and none is open, the member's process is gone and it is down now, as when its
   * connection closed (see the peer:disconnect handler). */
  dialFailed (peer: string, err: unknown): void
  /** Where other nodes reach this one, each ending in /p2p/<peer id>. */
  multiaddrs (): string[]
  /** Peer ids this node has a connection with. */
  connectedPeers (): string[]
  /** The connection actor traffic to `peer` should take: the newest open one whose probes are
   * answered (undefined: none open; dial it). */
  connectionFor (peer: string): Connection | undefined
  /** Other members as this node sees them (their records, and failure detection's verdicts). */
  members (): MemberView[]
  /** Round trip to a connected peer, ms. */
  ping (peerId: string): Promise<number>
  /** Fault injection for tests: refuses every connection to and from these peers and closes the
   * open ones (as a firewall that rejects would), until `heal`. */
  partition (peerIds: readonly string[]): Promise<void>
  /** Fault injection for tests: a silent drop. Connections to and from these peers, open and new,
   * stay open but carry nothing the chosen ways (both by default), until `heal`. */
  silence (peerIds: readonly string[], ways?: StallWays): Promise<void>
  /** Ends `partition` and `silence`. */
  heal (): void
  stop (): Promise<void>
}

/**
 * Reads and checks a cluster key file: the libp2p pnet format that `plexi cluster keygen` writes
 * (`/key/swarm/psk/1.0.0/`, `/base16/`, 64 hex digits), readable by its owner alone (mode 0600 or
 * stricter). A wrong file is a clear error, never a node that silently cannot talk to anyone.
 */
export async function readClusterKey (path: string): Promise<Uint8Array> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (err) {
    throw new ClusterKeyError(`cannot read the cluster key file ${path}: ${(err as Error).message}`)
  }
  // as ssh refuses a private key others may read: whoever reads it can join the cluster
  const open = await tooOpen(path)
  if (open !== undefined) throw new ClusterKeyError(`${open} (whoever reads the cluster key can join the cluster)`)
  const lines = text.trim().split(/\r?\n/)
  if (lines[0] !== PSK_HEADER || lines[1] !== '/base16/' || !/^[0-9a-fA-F]{64}$/.test(lines[2] ?? '') || lines.length !== 3) {
    throw new ClusterKeyError(`${path} is not a cluster key: expected the three lines that \`plexi cluster keygen\` prints (${PSK_HEADER}, /base16/, 64 hex digits)`)
  }
  return new TextEncoder().encode(`${lines.join('\n')}\n`)
}

/**
 * The node's libp2p host: TCP, noise, yamux, identify and ping, behind the cluster's pre-shared
 * key (pnet), so a peer without the key, or with another one, never completes a connection. While
 * it runs it keeps dialling, with backoff, every `join` address and every member it knows that it
 * is not connected to (a node may start before the one it joins; a partition heals).
 */
export async function startP2pHost (opts: P2pHostOptions): Promise<P2pHost> {
  /** Peers cut off by the fault-injection hooks. */
  const blocked = new Set<string>()
  const silenced = new Map<string, StallWays>()
  const stalls = new ConnectionStalls()
  const node: Libp2p<{ identify: Identify, ping: Ping, pubsub: GossipSub }> = await createLibp2p({
    privateKey: opts.privateKey,
    addresses: { listen: [opts.listen] },
    // net.connect takes localAddress; the transport's option type lists only some of what it passes on
    transports: [tcp(opts.dialFrom === undefined ? {} : { dialOpts: { localAddress: opts.dialFrom } as Record<string, unknown> })],
    connectionEncrypters: [noise({ crypto: noiseCrypto })],
    streamMuxers: [yamux()],
    connectionProtector: clusterKeyProtector({ psk: opts.clusterKey, stalls }),
    connectionManager: { dialTimeout: DIAL_TIMEOUT_MS, inboundUpgradeTimeout: DIAL_TIMEOUT_MS },
    connectionGater: {
      denyDialPeer: (peer) => blocked.has(peer.toString()),
      denyInboundEncryptedConnection: (peer) => blocked.has(peer.toString()),
      denyOutboundEncryptedConnection: (peer) => blocked.has(peer.toString())
    },
    ...(opts.mdns === true && { peerDiscovery: [mdns({ interval: MDNS_INTERVAL_MS, serviceTag: MDNS_SERVICE_TAG })] }),
    services: { identify: identify(), ping: ping(), pubsub: gossipsub({ allowPublishToZeroTopicPeers: true, emitSelf: false }) }
  })
  const peerId = node.peerId.toString()
  let stopped = false
  const dials = new Set<AbortController>()

  // every join address and every member not connected is redialed with its own backoff
  const redial = new Map<string, { next: number, delay: number, loggedAt?: number }>()
  const dialing = new Set<string>()
  /** `drained`: the peer behind it drained and stopped (said at info: expected, as in a rolling restart). */
  const tryDial = (key: string, target: () => Promise<unknown>, what: string, drained?: string): void => {
    const now = Date.now()
    const state = redial.get(key) ?? { next: 0, delay: REDIAL_MIN_MS }
    if (stopped || dialing.has(key) || now < state.next) return
    const isJoin = key.startsWith('join:')
    const maxDelay = isJoin ? REDIAL_MAX_MS : MEMBER_REDIAL_MAX_MS
    dialing.add(key)
    const controller = new AbortController()
    dials.add(controller)
    target().then(() => {
      // a join address is said every time it connects; a member only after it had been lost
      if (isJoin || state.delay > REDIAL_MIN_MS) opts.log.info({ target: what }, `connected to ${what}`)
      redial.set(key, { next: 0, delay: REDIAL_MIN_MS })
    }, (err: unknown) => {
      if (stopped) return
      // a join address: every failed try is said (the operator is waiting on it); a member: its
      // first failed try, then at most every MEMBER_DIAL_LOG_EVERY_MS
      let loggedAt = state.loggedAt
      if (isJoin || loggedAt === undefined || Date.now() - loggedAt >= MEMBER_DIAL_LOG_EVERY_MS) {
        loggedAt = Date.now()
        if (drained !== undefined && table.drained(drained)) {
          opts.log.info({ target: what, retryInMs: state.delay }, `cannot reach ${what}, which drained and stopped; retrying with backoff (up to ${maxDelay} ms) for when it is back`)
        } else opts.log.warn({ target: what, retryInMs: state.delay }, `cannot reach ${what} (${(err as Error).message}); is it up, and does it hold the same cluster key? retrying with backoff (up to ${maxDelay} ms)`)
      }
      // a member whose dial timed out (a silent network: no SYN answered) is dialled again at once,
      // each dial sending fresh SYNs: a healed path is found within about a second, not after a
      // backoff (one dial at a time; a refused or failed one backs off)
      const silent = !isJoin && /abort|time ?out/i.test(`${(err as Error).name} ${(err as Error).message}`)
      redial.set(key, { next: Date.now() + state.delay, delay: silent ? REDIAL_MIN_MS : Math.min(maxDelay, state.delay * 2), ...(loggedAt !== undefined && { loggedAt }) })
    }).finally(() => {
      dialing.delete(key)
      dials.delete(controller)
    })
  }
  const joinTargets = opts.join.flatMap((address) => {
    try {
      const ma = multiaddr(address)
      return [{ address, ma, peer: ma.getComponents().find((c) => c.name === 'p2p')?.value }]
    } catch {
      return []
    }
  })
  const maintain = (): void => {
    if (stopped) return
    for (const { address, ma, peer } of joinTargets) {
      // a join address of a member heard of is that member's to redial (below: sooner, by peer id)
      if (peer !== undefined && (blocked.has(peer) || node.getConnections(peerIdFromString(peer)).length > 0 || table.records().some((r) => r.peerId === peer && r.addresses.p2p.length > 0))) continue
      if (peer === undefined && node.getConnections().some((c) => c.remoteAddr.toString() === address)) continue
      tryDial(`join:${address}`, () => node.dial(ma, { signal: AbortSignal.timeout(DIAL_TIMEOUT_MS) }), address, peer)
    }
    for (const m of table.records()) {
      const peer = peerIdOf(m)
      if (peer === undefined || m.peerId === node.peerId.toString() || blocked.has(m.peerId) || node.getConnections(peer).length > 0) continue
      const addrs = m.addresses.p2p.flatMap((a) => { try { return [multiaddr(a)] } catch { return [] } })
      if (addrs.length === 0) continue
      tryDial(`member:${m.peerId}`, async () => {
        await node.peerStore.merge(peer, { multiaddrs: addrs })
        await node.dial(peer, { signal: AbortSignal.timeout(MEMBER_DIAL_TIMEOUT_MS) })
      }, `member ${m.peerId}`, m.peerId)
    }
  }
  if (opts.mdns === true) {
    // a peer found on the LAN is dialled once; one without our cluster key fails the handshake
    node.addEventListener('peer:discovery', (evt) => {
      const peer = evt.detail.id
      if (stopped || node.getConnections(peer).length > 0) return
      node.dial(peer, { signal: AbortSignal.timeout(DIAL_TIMEOUT_MS) }).then(() => {
        opts.log.info({ peer: peer.toString() }, `connected to ${peer.toString()} (found by mDNS)`)
      }, () => undefined)
    })
  }

  // membership: every member publishes its record on a heartbeat; each node keeps the table, and
  // probes every member over the connections that carry its actor traffic (failure detection)
  const table = new MemberTable({ failureTimeout: opts.failureTimeout })
  const heardListeners = new Set<() => void>()
  const told = (): void => { for (const listener of [...heardListeners]) listener() }
  const prober = new Prober({
    libp2p: node,
    detector: table.detector,
    targets: () => table.probed().filter((p) => p !== peerId),
    changed: told,
    // a connection was aborted for silence: dial the member again now, not after a backoff
    redial: (peer) => {
      const state = redial.get(`member:${peer}`)
      if (state !== undefined) redial.set(`member:${peer}`, { ...state, next: 0, delay: REDIAL_MIN_MS })
      maintain()
    },
    log: opts.log
  })
  /** When the last member record from each peer arrived (wall ms). */
  const recordAt = new Map<string, number>()
  /** Members refused for another partition count (each said once). */
  const mismatched = new Set<string>()
  let refusedLogged = 0
  node.services.pubsub.subscribe(MEMBERS_TOPIC)
  node.services.pubsub.addEventListener('message', (evt) => {
    const message = evt.detail
    if (message.topic !== MEMBERS_TOPIC || message.type !== 'signed') return
    try {
      const record = decodeMemberRecord(message.data, message.from.toString())
      if (opts.partitions !== undefined && record.partitions !== undefined && record.partitions !== opts.partitions) {
        if (!mismatched.has(record.peerId)) {
          mismatched.add(record.peerId)
          opts.log.warn({ peer: record.peerId, partitions: record.partitions }, `member ${record.peerId} says the cluster has ${record.partitions} partitions, this node's data dir says ${opts.partitions}: it is refused (the partition count is fixed when a cluster is created; start it with a fresh data dir or partitions ${opts.partitions}, or this node likewise)`)
        }
        return
      }
      recordAt.set(message.from.toString(), Date.now())
      const first = !table.has(record.peerId)
      const before = table.records().find((m) => m.peerId === record.peerId)?.addresses.p2p.join(' ')
      table.heard(record)
      // a member first heard of is probed now (it is listed once it answers), not at the next round
      if (first && record.peerId !== peerId) prober.probe(record.peerId)
      // a member that restarted listens elsewhere: the transport dials it by peer id, so the
      // peer store learns its new addresses as soon as they are heard, not at the next redial
      if (before !== record.addresses.p2p.join(' ')) {
        const addrs = record.addresses.p2p.flatMap((a) => { try { return [multiaddr(a)] } catch { return [] } })
        if (addrs.length > 0) node.peerStore.merge(message.from, { multiaddrs: addrs }).catch(() => undefined)
      }
      told()
    } catch (err) {
      // a peer holding the cluster key but sending garbage: refuse it, keep serving (log a few)
      if (refusedLogged++ < 10) opts.log.warn({ from: message.from.toString() }, (err as Error).message)
    }
  })
  // a member's connection closed: if nothing listens at its address any more (its process is
  // gone: the connection is refused at once), it is down now, not after the failure timeout. A
  // member cut off by a silent network is left to the probes (its dial hangs, it is not refused).
  const dialFailed = (peer: PeerId, err: unknown, what: string): void => {
    const refused = /ECONNREFUSED|connection refused/i.test(String((err as Error).message)) ||
      ((err as { errors?: unknown[] }).errors ?? []).some((e) => /ECONNREFUSED/.test(String((e as Error).message)))
    if (stopped || !refused || blocked.has(peer.toString()) || node.getConnections(peer).length > 0) return
    if (table.unreachable(peer.toString())) {
      opts.log.info({ peer: peer.toString() }, `member ${peer.toString()} ${what} and refuses new connections: down now`)
      told()
    }
  }
  // a new connection to a member is probed at once: a member that comes back (a healed path, a
  // restart) is up as soon as it answers. A connection to a peer a test silenced is stalled too
  node.addEventListener('connection:open', (evt) => {
    const connection = evt.detail
    const peer = connection.remotePeer.toString()
    const ways = silenced.get(peer)
    if (ways !== undefined) stalls.hold([connection.remoteAddr.toString()], ways)
    if (!stopped && table.has(peer)) {
      prober.probeConnection(connection)
      prober.probe(peer)
    }
  })
  node.addEventListener('peer:disconnect', (evt) => {
    const peer = evt.detail
    const known = table.view().find((m) => m.peerId === peer.toString())
    if (stopped || known === undefined || known.status === 'down' || blocked.has(known.peerId)) return
    const addrs = known.addresses.p2p.flatMap((a) => { try { return [multiaddr(a)] } catch { return [] } })
    void node.peerStore.merge(peer, { multiaddrs: addrs }).then(() => node.dial(peer, { signal: AbortSignal.timeout(MEMBER_DIAL_TIMEOUT_MS) })).then(() => undefined, (err: unknown) => {
      dialFailed(peer, err, 'closed its connection')
    })
  })
  // six heartbeats per failure timeout, and at least one a second whatever the timeout (a
  // member is heard soon after it starts, and redials are tried at that pace)
  const heartbeatMs = Math.max(100, Math.min(1_000, Math.floor(opts.failureTimeout / 6)))
  const beat = (): void => {
    // the record carries where this host listens, whatever the caller's record says
    const self = opts.self()
    const record = { ...self, addresses: { ...self.addresses, p2p: node.getMultiaddrs().map((ma) => ma.toString()) }, ...(opts.partitions !== undefined && { partitions: opts.partitions }) }
    node.services.pubsub.publish(MEMBERS_TOPIC, encodeMemberRecord(record)).catch((err: unknown) => {
      if (!stopped) opts.log.warn({}, `member heartbeat not sent: ${(err as Error).message}`)
    })
  }
  // a connected peer whose records stopped arriving (its gossip stream to this node is gone while
  // the connection lives): the connection is closed and dialled again (GOSSIP_QUIET_MS)
  const quietMs = Math.max(GOSSIP_QUIET_MS, GOSSIP_QUIET_BEATS * heartbeatMs)
  const resets = new Map<string, { at: number, gap: number }>()
  /** Heartbeats in a row, each on time, at which a peer was quiet. */
  const quietBeats = new Map<string, number>()
  let lastCheck = performance.now()
  const checkGossip = (): void => {
    // a heartbeat that fired late is this node's own event loop having been busy (a long task, a
    // GC pause): what it did not hear meanwhile may still wait in its queue (probe answers can be
    // read before the records queued with them), so nothing counts until it runs on time again
    const tick = performance.now()
    const late = tick - lastCheck > heartbeatMs * (1 + LATE_TIMER_SHARE)
    lastCheck = tick
    if (late) {
      quietBeats.clear()
      return
    }
    const now = Date.now()
    const opened = new Map<string, number>()
    for (const c of node.getConnections()) {
      const peer = c.remotePeer.toString()
      opened.set(peer, Math.min(opened.get(peer) ?? Infinity, c.timeline.open))
    }
    for (const [peer, since] of opened) {
      if (blocked.has(peer) || silenced.has(peer) || mismatched.has(peer)) continue
      const last = Math.max(recordAt.get(peer) ?? -Infinity, since)
      // a member heard before counts only while it answers probes (a silent network is the
      // prober's: it replaces connections that do not answer)
      const ack = table.detector.lastAck(peer)
      if (now - last < quietMs || (table.has(peer) && (ack === undefined || tick - ack >= quietMs))) {
        quietBeats.delete(peer)
        continue
      }
      const beats = (quietBeats.get(peer) ?? 0) + 1
      quietBeats.set(peer, beats)
      if (beats < GOSSIP_QUIET_BEATS) continue
      quietBeats.delete(peer)
      const reset = resets.get(peer)
      if (reset !== undefined && now - reset.at < reset.gap) continue
      resets.set(peer, { at: now, gap: reset === undefined ? GOSSIP_RESET_MIN_MS : Math.min(GOSSIP_RESET_MAX_MS, reset.gap * 2) })
      opts.log.info({ peer, quietMs: Math.round(now - last) }, `no member record from ${peer} in ${Math.round(now - last)} ms though connected${table.has(peer) ? ' and answering probes' : ''}: its gossip to this node is broken; reconnecting`)
      for (const c of node.getConnections(peerIdFromString(peer))) c.close().catch(() => { c.abort(new Error('gossip reset')) })
    }
    // a peer heard again starts from the shortest gap next time; one neither connected nor a
    // member any more is forgotten (nothing here grows with the peers ever seen)
    const gone = (peer: string): boolean => !opened.has(peer) && !table.has(peer)
    for (const [peer, reset] of resets) if ((recordAt.get(peer) ?? -Infinity) > reset.at || (gone(peer) && now - reset.at >= reset.gap)) resets.delete(peer)
    for (const peer of recordAt.keys()) if (gone(peer)) recordAt.delete(peer)
  }
  const heartbeat = setInterval(() => {
    beat()
    checkGossip()
    maintain()
  }, heartbeatMs)
  heartbeat.unref()
  await prober.start()
  beat()
  maintain()

  return {
    peerId,
    libp2p: node,
    announce: beat,
    dialFailed: (peer, err) => {
      let id: PeerId
      try {
        id = peerIdFromString(peer)
      } catch {
        return
      }
      dialFailed(id, err, 'could not be dialled')
    },
    onHeard (listener) {
      heardListeners.add(listener)
      return () => { heardListeners.delete(listener) }
    },
    multiaddrs: () => node.getMultiaddrs().map((ma) => ma.toString()),
    connectedPeers: () => [...new Set(node.getConnections().map((c) => c.remotePeer.toString()))].sort(),
    connectionFor: (peer) => prober.connectionFor(peer),
    members: () => table.view(),
    ping: async (peer) => {
      const connection = node.getConnections().find((c) => c.remotePeer.toString() === peer)
      if (connection === undefined) throw new Error(`not connected to ${peer}`)
      return await node.services.ping.ping(connection.remoteAddr, { signal: AbortSignal.timeout(DIAL_TIMEOUT_MS) })
    },
    async partition (peerIds) {
      for (const p of peerIds) blocked.add(p)
      await Promise.all(node.getConnections().filter((c) => blocked.has(c.remotePeer.toString())).map((c) => c.close().catch(() => undefined)))
    },
    async silence (peerIds, ways = { inbound: true, outbound: true }) {
      for (const p of peerIds) {
        silenced.set(p, ways)
        let id: PeerId
        try {
          id = peerIdFromString(p)
        } catch {
          continue
        }
        // its connections now, and its listen addresses (what a dial to it reaches)
        const addrs = [...node.getConnections(id).map((c) => c.remoteAddr.toString()),
          ...(await node.peerStore.get(id).then((peer) => peer.addresses.map((a) => a.multiaddr.toString()), () => [] as string[]))]
        stalls.hold(addrs.map(addressKey), ways)
      }
    },
    heal () {
      blocked.clear()
      silenced.clear()
      stalls.release()
      // reconnect at once rather than at the end of a backoff
      for (const [key, state] of redial) redial.set(key, { ...state, next: 0 })
      maintain()
    },
    async stop () {
      stopped = true
      clearInterval(heartbeat)
      for (const dial of dials) dial.abort()
      await prober.stop()
      await node.stop()
    }
  }
}
