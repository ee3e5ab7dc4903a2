import { readFile } from 'node:fs/promises'
import { noise } from '@chainsafe/libp2p-noise'
import { noiseCrypto } from './noise-crypto.ts'
import { yamux } from '@chainsafe/libp2p-yamux'
import { identify } from '@libp2p/identify'
import type { Identify } from '@libp2p/identify'
import type { Libp2p, PeerId, PrivateKey } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { ping } from '@libp2p/ping'
import type { Ping } from '@libp2p/ping'
import { preSharedKey } from '@libp2p/pnet'
import { tcp } from '@libp2p/tcp'
import { multiaddr } from '@multiformats/multiaddr'
import { mdns } from '@libp2p/mdns'
import { createLibp2p } from 'libp2p'
import { gossipsub } from '@libp2p/gossipsub'
import type { GossipSub } from '@libp2p/gossipsub'
import { ClusterKeyError } from './errors.ts'
import { MEMBERS_TOPIC, MemberTable, decodeMemberRecord, encodeMemberRecord } from './membership.ts'
import type { MemberRecord, MemberView } from './membership.ts'

/** The peer id of a record (already checked to be the sender's). */
function peerIdOf (record: MemberRecord): PeerId | undefined {
  try {
    return peerIdFromString(record.peerId)
  } catch {
    return undefined
  }
}

/** A join address is dialled again after this long, doubling up to JOIN_RETRY_MAX_MS. */
const JOIN_RETRY_MIN_MS = 500
const JOIN_RETRY_MAX_MS = 30_000
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
  /** ms without a heartbeat before a member is down (config `failure-timeout`). */
  readonly failureTimeout: number
  /** Find peers on the local network by multicast DNS (config `mdns`); only peers holding the
   * cluster key can connect. @default false */
  readonly mdns?: boolean
  readonly log: { info (obj: object, msg: string): void, warn (obj: object, msg: string): void }
}

export interface P2pHost {
  readonly peerId: string
  /** The libp2p node (the actor transport opens its streams on it). */
  readonly libp2p: Libp2p
  /** Publishes this node's record now (after a role change), not at the next heartbeat. */
  announce (): void
  /** Calls `listener` after every member record received (the view may have changed); returns
   * a function that stops it. */
  onHeard (listener: () => void): () => void
  /** Where other nodes reach this one, each ending in /p2p/<peer id>. */
  multiaddrs (): string[]
  /** Peer ids this node has a connection with. */
  connectedPeers (): string[]
  /** Other members as this node sees them (heartbeats and failure detection). */
  members (): MemberView[]
  /** Round trip to a connected peer, ms. */
  ping (peerId: string): Promise<number>
  stop (): Promise<void>
}

/**
 * Reads and checks a cluster key file: the libp2p pnet format that `plexi cluster keygen` writes
 * (`/key/swarm/psk/1.0.0/`, `/base16/`, 64 hex digits). A wrong file is a clear error, never a
 * node that silently cannot talk to anyone.
 */
export async function readClusterKey (path: string): Promise<Uint8Array> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (err) {
    throw new ClusterKeyError(`cannot read the cluster key file ${path}: ${(err as Error).message}`)
  }
  const lines = text.trim().split(/\r?\n/)
  if (lines[0] !== PSK_HEADER || lines[1] !== '/base16/' || !/^[0-9a-fA-F]{64}$/.test(lines[2] ?? '') || lines.length !== 3) {
    throw new ClusterKeyError(`${path} is not a cluster key: expected the three lines that \`plexi cluster keygen\` prints (${PSK_HEADER}, /base16/, 64 hex digits)`)
  }
  return new TextEncoder().encode(`${lines.join('\n')}\n`)
}

/**
 * The node's libp2p host: TCP, noise, yamux, identify and ping, behind the cluster's pre-shared
 * key (pnet), so a peer without the key, or with another one, never completes a connection. It
 * dials the `join` addresses in the background and keeps retrying each with backoff until it is
 * connected (a node may start before the one it joins).
 */
export async function startP2pHost (opts: P2pHostOptions): Promise<P2pHost> {
  const node: Libp2p<{ identify: Identify, ping: Ping, pubsub: GossipSub }> = await createLibp2p({
    privateKey: opts.privateKey,
    addresses: { listen: [opts.listen] },
    transports: [tcp()],
    connectionEncrypters: [noise({ crypto: noiseCrypto })],
    streamMuxers: [yamux()],
    connectionProtector: preSharedKey({ psk: opts.clusterKey }),
    connectionManager: { dialTimeout: DIAL_TIMEOUT_MS, inboundUpgradeTimeout: DIAL_TIMEOUT_MS },
    ...(opts.mdns === true && { peerDiscovery: [mdns({ interval: MDNS_INTERVAL_MS, serviceTag: MDNS_SERVICE_TAG })] }),
    services: { identify: identify(), ping: ping(), pubsub: gossipsub({ allowPublishToZeroTopicPeers: true, emitSelf: false }) }
  })
  const peerId = node.peerId.toString()
  let stopped = false
  const timers = new Set<ReturnType<typeof setTimeout>>()
  const dials = new Set<AbortController>()

  const joinOnce = (address: string, delay: number): void => {
    if (stopped) return
    const controller = new AbortController()
    dials.add(controller)
    node.dial(multiaddr(address), { signal: AbortSignal.any([controller.signal, AbortSignal.timeout(DIAL_TIMEOUT_MS)]) }).then((connection) => {
      opts.log.info({ peer: connection.remotePeer.toString(), address }, `connected to ${address}`)
    }, (err: unknown) => {
      if (stopped) return
      const next = Math.min(JOIN_RETRY_MAX_MS, delay * 2)
      opts.log.warn({ address, retryInMs: delay }, `cannot reach ${address} (${(err as Error).message}); is it up, and does it hold the same cluster key? retrying in ${delay} ms`)
      const timer = setTimeout(() => {
        timers.delete(timer)
        joinOnce(address, next)
      }, delay)
      timers.add(timer)
    }).finally(() => { dials.delete(controller) })
  }
  for (const address of opts.join) joinOnce(address, JOIN_RETRY_MIN_MS)
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

  // membership: every member publishes its record on a heartbeat; each node keeps the table
  const table = new MemberTable({ failureTimeout: opts.failureTimeout })
  const heardListeners = new Set<() => void>()
  let refusedLogged = 0
  node.services.pubsub.subscribe(MEMBERS_TOPIC)
  node.services.pubsub.addEventListener('message', (evt) => {
    const message = evt.detail
    if (message.topic !== MEMBERS_TOPIC || message.type !== 'signed') return
    try {
      const record = decodeMemberRecord(message.data, message.from.toString())
      table.heard(record)
      connectTo(record)
      for (const listener of [...heardListeners]) listener()
    } catch (err) {
      // a peer holding the cluster key but sending garbage: refuse it, keep serving (log a few)
      if (refusedLogged++ < 10) opts.log.warn({ from: message.from.toString() }, (err as Error).message)
    }
  })
  // members heard through gossip but not connected (joined through another node): connect, so
  // that actor traffic goes straight to them. At most one attempt per peer per failure timeout.
  const lastAttempt = new Map<string, number>()
  const connectTo = (record: MemberRecord): void => {
    const peer = peerIdOf(record)
    if (peer === undefined || stopped || node.getConnections(peer).length > 0) return
    const now = Date.now()
    if (now - (lastAttempt.get(record.peerId) ?? 0) < opts.failureTimeout) return
    lastAttempt.set(record.peerId, now)
    const addrs = record.addresses.p2p.flatMap((a) => { try { return [multiaddr(a)] } catch { return [] } })
    if (addrs.length === 0) return
    node.peerStore.merge(peer, { multiaddrs: addrs }).then(() => node.dial(peer, { signal: AbortSignal.timeout(DIAL_TIMEOUT_MS) })).catch((err: unknown) => {
      if (!stopped) opts.log.warn({ peer: record.peerId }, `cannot connect to member ${record.peerId} at ${record.addresses.p2p.join(' ')}: ${(err as Error).message}`)
    })
  }
  const heartbeatMs = Math.max(100, Math.floor(opts.failureTimeout / 6))
  const beat = (): void => {
    // the record carries where this host listens, whatever the caller's record says
    const self = opts.self()
    const record = { ...self, addresses: { ...self.addresses, p2p: node.getMultiaddrs().map((ma) => ma.toString()) } }
    node.services.pubsub.publish(MEMBERS_TOPIC, encodeMemberRecord(record)).catch((err: unknown) => {
      if (!stopped) opts.log.warn({}, `member heartbeat not sent: ${(err as Error).message}`)
    })
  }
  const heartbeat = setInterval(beat, heartbeatMs)
  heartbeat.unref()
  beat()

  return {
    peerId,
    libp2p: node,
    announce: beat,
    onHeard (listener) {
      heardListeners.add(listener)
      return () => { heardListeners.delete(listener) }
    },
    multiaddrs: () => node.getMultiaddrs().map((ma) => ma.toString()),
    connectedPeers: () => [...new Set(node.getConnections().map((c) => c.remotePeer.toString()))].sort(),
    members: () => table.view(),
    ping: async (peer) => {
      const connection = node.getConnections().find((c) => c.remotePeer.toString() === peer)
      if (connection === undefined) throw new Error(`not connected to ${peer}`)
      return await node.services.ping.ping(connection.remoteAddr, { signal: AbortSignal.timeout(DIAL_TIMEOUT_MS) })
    },
    async stop () {
      stopped = true
      clearInterval(heartbeat)
      for (const timer of timers) clearTimeout(timer)
      for (const dial of dials) dial.abort()
      await node.stop()
    }
  }
}
