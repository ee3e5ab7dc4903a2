import type { Connection, Libp2p, PeerId } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { ConnectionStalls, addressKey } from './connection-stalls.ts'
import type { StallWays } from './connection-stalls.ts'

/**
 * Fault injection for tests, held by a p2p host: peers cut off as a firewall that rejects would
 * (`partition`: every connection to and from them refused, the open ones closed) and peers behind
 * a silent drop (`silence`: connections stay open and carry nothing the chosen ways: a switch
 * dropping packets), until `heal`. A node that no test touches pays one set lookup per dial.
 */
export class FaultHooks {
  /** The stalls of connections to silenced peers (the cluster key protector registers every
   * connection with it). */
  readonly stalls = new ConnectionStalls()
  readonly #blocked = new Set<string>()
  readonly #silenced = new Map<string, StallWays>()

  /** Whether `peer` is cut off (partition). */
  blocked (peer: string): boolean {
    return this.#blocked.has(peer)
  }

  /** Whether `peer` is behind a silent drop (silence). */
  silenced (peer: string): boolean {
    return this.#silenced.has(peer)
  }

  /** libp2p's connection gater: refuses every dial and connection of a peer cut off. */
  gater (): { denyDialPeer: (peer: PeerId) => boolean, denyInboundEncryptedConnection: (peer: PeerId) => boolean, denyOutboundEncryptedConnection: (peer: PeerId) => boolean } {
    const deny = (peer: PeerId): boolean => this.#blocked.has(peer.toString())
    return { denyDialPeer: deny, denyInboundEncryptedConnection: deny, denyOutboundEncryptedConnection: deny }
  }

  /** A connection just opened: one to a silenced peer is stalled too. */
  opened (connection: Connection): void {
    const ways = this.#silenced.get(connection.remotePeer.toString())
    if (ways !== undefined) this.stalls.hold([connection.remoteAddr.toString()], ways)
  }

  /** Refuses every connection to and from these peers and closes the open ones. */
  async partition (libp2p: Libp2p, peerIds: readonly string[]): Promise<void> {
    for (const p of peerIds) this.#blocked.add(p)
    // a close that fails leaves a connection the gater already cut off from new streams: nothing to add
    await Promise.all(libp2p.getConnections().filter((c) => this.#blocked.has(c.remotePeer.toString())).map((c) => c.close().catch(() => undefined)))
  }

  /** Stalls the connections to and from these peers, open and new, the chosen ways. */
  async silence (libp2p: Libp2p, peerIds: readonly string[], ways: StallWays): Promise<void> {
    for (const p of peerIds) {
      this.#silenced.set(p, ways)
      let id: PeerId
      try {
        id = peerIdFromString(p)
      } catch {
        continue
      }
      // its connections now, and its listen addresses (what a dial to it reaches)
      const addrs = [...libp2p.getConnections(id).map((c) => c.remoteAddr.toString()),
        ...(await libp2p.peerStore.get(id).then((peer) => peer.addresses.map((a) => a.multiaddr.toString()), () => [] as string[]))]
      this.stalls.hold(addrs.map(addressKey), ways)
    }
  }

  /** Ends every partition and silence. */
  heal (): void {
    this.#blocked.clear()
    this.#silenced.clear()
    this.stalls.release()
  }
}
