import { noise } from '@chainsafe/libp2p-noise'
import { gossipsub } from '@libp2p/gossipsub'
import type { GossipSub } from '@libp2p/gossipsub'
import { identify } from '@libp2p/identify'
import type { Identify } from '@libp2p/identify'
import type { Libp2p, PrivateKey } from '@libp2p/interface'
import { mdns } from '@libp2p/mdns'
import { ping } from '@libp2p/ping'
import type { Ping } from '@libp2p/ping'
import { tcp } from '@libp2p/tcp'
import { createLibp2p } from 'libp2p'
import { clusterKeyProtector } from './cluster-key-protector.ts'
import { fastMessageId } from './fast-message-id.ts'
import { DIAL_TIMEOUT_MS, GOSSIP_MESH, MDNS_INTERVAL_MS, MDNS_SERVICE_TAG } from './constants.ts'
import type { FaultHooks } from './fault-hooks.ts'
import { noiseCrypto } from './noise-crypto.ts'
import { guardedYamux } from './yamux-guard.ts'

/** The libp2p node of the mesh, with the services the host uses. */
export type MeshLibp2p = Libp2p<{ identify: Identify, ping: Ping, pubsub: GossipSub }>

export interface MeshLibp2pOptions {
  readonly privateKey: PrivateKey
  /** The multiaddr to listen on (config `p2p-listen`). */
  readonly listen: string
  /** The cluster pre-shared key file's bytes. */
  readonly clusterKey: Uint8Array
  /** Find peers on the local network by multicast DNS. @default false */
  readonly mdns?: boolean
  /** The local address outbound TCP dials bind to. @default the system's choice */
  readonly dialFrom?: string
  /** The host's fault injection (its gater and stalls). */
  readonly faults: FaultHooks
}

/**
 * Creates (and starts) the mesh's libp2p node: TCP, noise, yamux, identify, ping and gossipsub
 * (a copy of a message already seen is dropped before its signature is checked: fast-message-id.ts),
 * behind the cluster's pre-shared key (pnet), so a peer without the key, or with another one,
 * never completes a connection; every dial and inbound upgrade bounded by DIAL_TIMEOUT_MS.
 */
export async function createMeshLibp2p (opts: MeshLibp2pOptions): Promise<MeshLibp2p> {
  return await createLibp2p({
    privateKey: opts.privateKey,
    addresses: { listen: [opts.listen] },
    // net.connect takes localAddress; the transport's option type lists only some of what it passes on
    transports: [tcp(opts.dialFrom === undefined ? {} : { dialOpts: { localAddress: opts.dialFrom } as Record<string, unknown> })],
    connectionEncrypters: [noise({ crypto: noiseCrypto })],
    // a stream opened as its connection closes fails, and does not stop the process (yamux-guard.ts)
    streamMuxers: [guardedYamux()],
    connectionProtector: clusterKeyProtector({ psk: opts.clusterKey, stalls: opts.faults.stalls }),
    connectionManager: { dialTimeout: DIAL_TIMEOUT_MS, inboundUpgradeTimeout: DIAL_TIMEOUT_MS },
    // libp2p's own monitor pings every connection every 10 s on a stream of its own; the prober
    // (prober.ts) already probes every member's connections each round and aborts the silent ones
    connectionMonitor: { enabled: false },
    connectionGater: opts.faults.gater(),
    ...(opts.mdns === true && { peerDiscovery: [mdns({ interval: MDNS_INTERVAL_MS, serviceTag: MDNS_SERVICE_TAG })] }),
    services: { identify: identify(), ping: ping(), pubsub: gossipsub({ allowPublishToZeroTopicPeers: true, emitSelf: false, fastMsgIdFn: fastMessageId, ...GOSSIP_MESH }) }
  })
}
