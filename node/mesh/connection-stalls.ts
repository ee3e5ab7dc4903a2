import type { MessageStream } from '@libp2p/interface'

/** Which ways a stalled connection holds: what arrives from the peer, what goes to it. */
export interface StallWays {
  readonly inbound: boolean
  readonly outbound: boolean
}

/** The parts of a protected connection (pnet's message stream, @libp2p/utils' abstract message
 * stream) that a stall holds back: its data, both ways. */
interface Holdable {
  onData (data: Uint8Array): void
  sendData (data: { subarray (): Uint8Array, byteLength: number }): { sentBytes: number, canSendMore: boolean }
}

interface Entry {
  readonly stream: MessageStream & Holdable
  readonly remoteAddr: string
  ways: StallWays
  patched: boolean
  /** What arrived while inbound was held, in order. */
  held: Uint8Array[]
  /** What was sent while outbound was held, in order. */
  unsent: Uint8Array[]
  /** The unpatched methods, once patched. */
  original?: Holdable
}

const NONE: StallWays = { inbound: false, outbound: false }

/** A connection's remote address as matched here: its ip/tcp/port, without a /p2p part. */
export function addressKey (addr: string): string {
  const at = addr.indexOf('/p2p/')
  return at === -1 ? addr : addr.slice(0, at)
}

/**
 * Fault injection for tests: a silent network drop in one process. A stalled connection stays
 * open (as TCP stays ESTABLISHED through a switch that drops its packets) while none of its data
 * gets through the chosen ways: what the peer sends is held before this node reads it, what this
 * node sends is held before the socket. On release what was held goes through in order (TCP
 * retransmits it once the path heals). A close is not held (a real drop would hold the FIN too:
 * test/node/mesh/prober.spec.ts cuts a real network for that). Only connections a test
 * stalls are touched; the protector registers every connection, cheaply.
 */
export class ConnectionStalls {
  readonly #entries = new Set<Entry>()
  /** Remote addresses (addressKey) held, with the ways. */
  readonly #rules = new Map<string, StallWays>()

  /** @internal the cluster key protector's: a connection just protected, to `remoteAddr`. */
  watch (stream: MessageStream, remoteAddr: string): void {
    const entry: Entry = { stream: stream as MessageStream & Holdable, remoteAddr: addressKey(remoteAddr), ways: NONE, patched: false, held: [], unsent: [] }
    this.#entries.add(entry)
    stream.addEventListener('close', () => { this.#entries.delete(entry) }, { once: true })
    const rule = this.#rules.get(entry.remoteAddr)
    if (rule !== undefined) this.#hold(entry, rule)
  }

  /** Holds every connection to or from these addresses (multiaddrs), those open and those to come. */
  hold (addresses: readonly string[], ways: StallWays): void {
    for (const a of addresses) this.#rules.set(addressKey(a), ways)
    for (const entry of this.#entries) {
      const rule = this.#rules.get(entry.remoteAddr)
      if (rule !== undefined) this.#hold(entry, rule)
    }
  }

  /** Lets everything through again, what was held first, in order. */
  release (): void {
    this.#rules.clear()
    for (const entry of this.#entries) {
      entry.ways = NONE
      const original = entry.original
      if (original === undefined) continue
      const held = entry.held.splice(0)
      const unsent = entry.unsent.splice(0)
      if (entry.stream.status !== 'open') continue
      for (const data of unsent) original.sendData(data)
      for (const data of held) original.onData(data)
    }
  }

  #hold (entry: Entry, ways: StallWays): void {
    entry.ways = ways
    if (entry.patched) return
    entry.patched = true
    const s = entry.stream
    const original: Holdable = { onData: s.onData.bind(s), sendData: s.sendData.bind(s) }
    entry.original = original
    s.onData = (data) => {
      // a copy: pnet may hand out a view of its cipher's memory, reused by the next chunk
      if (entry.ways.inbound) entry.held.push(Uint8Array.from(data))
      else original.onData(data)
    }
    s.sendData = (data) => {
      if (!entry.ways.outbound) return original.sendData(data)
      entry.unsent.push(Uint8Array.from(data.subarray()))
      return { sentBytes: data.byteLength, canSendMore: true }
    }
  }
}
