import type { Message } from '@libp2p/gossipsub'
import { RECORD_REFUSALS_LOGGED } from './constants.ts'
import type { MeshLibp2p } from './mesh-libp2p.ts'
import { MEMBERS_TOPIC, decodeMemberRecord, encodeMemberRecord } from './membership.ts'
import type { MemberRecord, MemberTable } from './membership.ts'
import { RecordPacing } from './record-pacing.ts'
import { parseAddrs } from './redialer.ts'

export interface MemberGossipOptions {
  readonly libp2p: MeshLibp2p
  readonly table: MemberTable
  /** This node's member record (its p2p addresses are replaced by where the host listens). */
  readonly self: () => MemberRecord
  /** The cluster's partition count (this data dir's): a member telling another is refused. */
  readonly partitions?: number
  /** A record was taken into the table; `first`: its member was not known before. */
  readonly heard: (record: MemberRecord, first: boolean) => void
  readonly log: { warn (obj: object, msg: string): void }
}

/**
 * Member records on gossipsub (MEMBERS_TOPIC): `publish` sends this node's now (a change
 * announced), `heartbeat` when it changed or its turn came (record-pacing.ts: every heartbeat in a
 * cluster of up to RECORDS_PER_HEARTBEAT members, less often in a larger one); every record
 * received is checked and goes into the member table, except from a member whose cluster has another partition count (refused, said once). It remembers when each
 * peer's last record arrived (the gossip reset reads it).
 */
export class MemberGossip {
  readonly #opts: MemberGossipOptions
  readonly #libp2p: MeshLibp2p
  /** When the last member record from each peer arrived (wall ms). */
  readonly #heardAt = new Map<string, number>()
  /** Members refused for another partition count (each said once). */
  readonly #mismatched = new Set<string>()
  readonly #pacing = new RecordPacing()
  /** The last record's seq (membership.ts MemberRecord.seq): one more for each record sent. */
  #seq = 0
  /** Records this node published. */
  sent = 0
  #refusedLogged = 0
  #stopped = false

  constructor (opts: MemberGossipOptions) {
    this.#opts = opts
    this.#libp2p = opts.libp2p
  }

  /** Subscribes to the members topic and takes every record that arrives. */
  start (): void {
    const pubsub = this.#libp2p.services.pubsub
    pubsub.subscribe(MEMBERS_TOPIC)
    pubsub.addEventListener('message', (evt) => { this.#received(evt.detail) })
  }

  /** No more warnings for records that could not be sent (the host is stopping). */
  stop (): void {
    this.#stopped = true
  }

  /** Publishes this node's record now; it carries where this host listens, whatever the caller's
   * record says. A record that cannot be sent is said and left to the next heartbeat. */
  publish (): void {
    const record = this.#record()
    this.#pacing.sent(contentOf(record))
    this.#send(record)
  }

  /** One heartbeat: publishes this node's record if it changed (its load aside) or its turn came
   * in a cluster of `members` members. */
  heartbeat (members: number): void {
    const record = this.#record()
    if (this.#pacing.due(contentOf(record), members)) this.#send(record)
  }

  #record (): MemberRecord {
    const self = this.#opts.self()
    const partitions = this.#opts.partitions
    return { ...self, addresses: { ...self.addresses, p2p: this.#libp2p.getMultiaddrs().map((ma) => ma.toString()) }, ...(partitions !== undefined && { partitions }) }
  }

  #send (record: MemberRecord): void {
    this.sent++
    this.#libp2p.services.pubsub.publish(MEMBERS_TOPIC, encodeMemberRecord({ ...record, seq: ++this.#seq })).catch((err: unknown) => {
      if (!this.#stopped) this.#opts.log.warn({}, `member heartbeat not sent: ${(err as Error).message}`)
    })
  }

  /** When the last record from `peer` arrived (wall ms; undefined: none since it was forgotten). */
  heardAt (peer: string): number | undefined {
    return this.#heardAt.get(peer)
  }

  /** Whether `peer`'s records are refused (its cluster has another partition count). */
  refused (peer: string): boolean {
    return this.#mismatched.has(peer)
  }

  /** Forgets when the peers `gone` says are gone were last heard (nothing grows with every peer
   * ever seen). */
  forget (gone: (peer: string) => boolean): void {
    for (const peer of this.#heardAt.keys()) if (gone(peer)) this.#heardAt.delete(peer)
  }

  #received (message: Message): void {
    if (message.topic !== MEMBERS_TOPIC || message.type !== 'signed') return
    const { table, partitions, log } = this.#opts
    try {
      const record = decodeMemberRecord(message.data, message.from.toString())
      if (partitions !== undefined && record.partitions !== undefined && record.partitions !== partitions) {
        if (!this.#mismatched.has(record.peerId)) {
          this.#mismatched.add(record.peerId)
          log.warn({ peer: record.peerId, partitions: record.partitions }, `member ${record.peerId} says the cluster has ${record.partitions} partitions, this node's data dir says ${partitions}: it is refused (the partition count is fixed when a cluster is created; start it with a fresh data dir or partitions ${partitions}, or this node likewise)`)
        }
        return
      }
      this.#heardAt.set(message.from.toString(), Date.now())
      const known = table.records().find((m) => m.peerId === record.peerId)
      const first = !table.has(record.peerId)
      // a newcomer, or a member in a new life (restarted: its table is empty), has none of this
      // node's record: it is sent at the next heartbeat (not in turn, which in a large cluster is
      // many heartbeats away)
      if (known === undefined || known.incarnation < record.incarnation) this.#pacing.newcomer()
      const before = known?.addresses.p2p.join(' ')
      // one sent before the record known, arriving after it by another path: it says nothing new
      if (!table.heard(record)) return
      // a member that restarted listens elsewhere: the transport dials it by peer id, so the
      // peer store learns its new addresses as soon as they are heard, not at the next redial
      if (before !== record.addresses.p2p.join(' ')) {
        const addrs = parseAddrs(record.addresses.p2p)
        // a merge that fails leaves the redial to learn the addresses from the record: nothing lost
        if (addrs.length > 0) this.#libp2p.peerStore.merge(message.from, { multiaddrs: addrs }).catch(() => undefined)
      }
      this.#opts.heard(record, first)
    } catch (err) {
      // a peer holding the cluster key but sending garbage: refuse it, keep serving (log a few)
      if (this.#refusedLogged++ < RECORD_REFUSALS_LOGGED) log.warn({ from: message.from.toString() }, (err as Error).message)
    }
  }
}

/** What a record says but its load (which changes all the time and is sent in turn only). */
function contentOf (record: MemberRecord): string {
  const { load: _load, ...rest } = record
  return JSON.stringify(rest)
}
