import type { Libp2p, PeerId } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import type { Multiaddr } from '@multiformats/multiaddr'
import { DIAL_TIMEOUT_MS, JOIN_REDIAL_MAX_MS, MEMBER_DIAL_LOG_EVERY_MS, MEMBER_DIAL_TIMEOUT_MS, MEMBER_DIALS_AT_ONCE, MEMBER_REDIAL_MAX_MS, REDIAL_MIN_MS } from './constants.ts'
import type { MemberTable } from './membership.ts'

export interface RedialerOptions {
  readonly libp2p: Libp2p
  /** config `join`: multiaddrs (with /p2p/<peer id>) of nodes to connect to. */
  readonly join: readonly string[]
  /** The members this node knows (their addresses, and whether they drained). */
  readonly table: MemberTable
  /** Whether `peer` is cut off by a test's partition (never dialled). */
  readonly blocked: (peer: string) => boolean
  /** Dial peers found by mDNS (once each). @default false */
  readonly mdns?: boolean
  readonly log: { info (obj: object, msg: string): void, warn (obj: object, msg: string): void }
}

/** Where the redial of one target stands. */
interface Backoff {
  /** Not before this (wall ms). */
  readonly next: number
  /** The wait after the next failure. */
  readonly delay: number
  /** When a failure was last said (members are said at most every MEMBER_DIAL_LOG_EVERY_MS). */
  readonly loggedAt?: number
}

/** The multiaddrs among `addresses` that parse (a member's record may carry one that does not). */
export function parseAddrs (addresses: readonly string[]): Multiaddr[] {
  return addresses.flatMap((a) => { try { return [multiaddr(a)] } catch { return [] } })
}

/**
 * Keeps this node connected: every `join` address and every member it knows that it is not
 * connected to is dialled again, each with its own backoff (from REDIAL_MIN_MS, doubling up to
 * JOIN_REDIAL_MAX_MS for a join address, MEMBER_REDIAL_MAX_MS for a member), for as long as the
 * node runs: a node may start before the one it joins, and a healed partition reconnects within
 * seconds. `maintain()` is called on every heartbeat (and as soon as a dial ends); one dial per
 * target at a time, and at most MEMBER_DIALS_AT_ONCE members at a time.
 */
export class Redialer {
  readonly #opts: RedialerOptions
  readonly #libp2p: Libp2p
  readonly #backoff = new Map<string, Backoff>()
  readonly #dialing = new Set<string>()
  /** Dials under way (aborted at stop). */
  readonly #dials = new Set<AbortController>()
  readonly #joinTargets: ReadonlyArray<{ readonly address: string, readonly ma: Multiaddr, readonly peer: string | undefined }>
  #stopped = false
  /** Dials of join addresses and members: started, connected, failed, and of those failed the ones
   * that timed out (plexi_mesh_dials_total). */
  readonly stats = { started: 0, connected: 0, failed: 0, timedOut: 0 }

  constructor (opts: RedialerOptions) {
    this.#opts = opts
    this.#libp2p = opts.libp2p
    this.#joinTargets = opts.join.flatMap((address) => {
      try {
        const ma = multiaddr(address)
        return [{ address, ma, peer: ma.getComponents().find((c) => c.name === 'p2p')?.value }]
      } catch {
        return []
      }
    })
    if (opts.mdns === true) this.#libp2p.addEventListener('peer:discovery', (evt) => { this.#discovered(evt.detail.id) })
  }

  /** Dials every join address and member not connected whose backoff has passed. */
  maintain (): void {
    if (this.#stopped) return
    const { table, blocked } = this.#opts
    const node = this.#libp2p
    for (const { address, ma, peer } of this.#joinTargets) {
      // a join address of a member heard of is that member's to redial (below: sooner, by peer id)
      if (peer !== undefined && (blocked(peer) || node.getConnections(peerIdFromString(peer)).length > 0 || table.records().some((r) => r.peerId === peer && r.addresses.p2p.length > 0))) continue
      if (peer === undefined && node.getConnections().some((c) => c.remoteAddr.toString() === address)) continue
      this.#tryDial(`join:${address}`, (signal) => node.dial(ma, { signal }), DIAL_TIMEOUT_MS, address, peer)
    }
    // at most MEMBER_DIALS_AT_ONCE members dialled at a time, those waiting longest first: at 30
    // nodes on a busy machine a dial per member at once (29 handshakes a node) made the upgrades
    // time out, and each timeout was dialled again at once
    let room = MEMBER_DIALS_AT_ONCE - [...this.#dialing].filter((k) => k.startsWith('member:')).length
    if (room <= 0) return
    const now = Date.now()
    const due: Array<{ peer: PeerId, id: string, addrs: Multiaddr[], next: number }> = []
    for (const m of table.records()) {
      let peer: PeerId
      try {
        peer = peerIdFromString(m.peerId)
      } catch {
        continue
      }
      if (m.peerId === node.peerId.toString() || blocked(m.peerId) || node.getConnections(peer).length > 0) continue
      const next = this.#backoff.get(`member:${m.peerId}`)?.next ?? 0
      if (this.#dialing.has(`member:${m.peerId}`) || now < next) continue
      const addrs = parseAddrs(m.addresses.p2p)
      if (addrs.length > 0) due.push({ peer, id: m.peerId, addrs, next })
    }
    due.sort((a, b) => a.next - b.next)
    for (const { peer, id, addrs } of due) {
      if (room-- <= 0) break
      this.#tryDial(`member:${id}`, async (signal) => {
        await node.peerStore.merge(peer, { multiaddrs: addrs })
        await node.dial(peer, { signal })
      }, MEMBER_DIAL_TIMEOUT_MS, `member ${id}`, id)
    }
  }

  /** Dials member `peer` again now, not after its backoff (its connection was aborted for silence). */
  now (peer: string): void {
    const state = this.#backoff.get(`member:${peer}`)
    if (state !== undefined) this.#backoff.set(`member:${peer}`, { ...state, next: 0, delay: REDIAL_MIN_MS })
    this.maintain()
  }

  /** Dials every target now (a test's partition healed), not at the end of its backoff. */
  healed (): void {
    for (const [key, state] of this.#backoff) this.#backoff.set(key, { ...state, next: 0 })
    this.maintain()
  }

  /** No more dials; those under way are aborted. */
  stop (): void {
    this.#stopped = true
    for (const dial of this.#dials) dial.abort()
  }

  /** A peer found on the LAN is dialled once; one without our cluster key fails the handshake. */
  #discovered (peer: PeerId): void {
    if (this.#stopped || this.#libp2p.getConnections(peer).length > 0) return
    this.#libp2p.dial(peer, { signal: AbortSignal.timeout(DIAL_TIMEOUT_MS) }).then(() => {
      this.#opts.log.info({ peer: peer.toString() }, `connected to ${peer.toString()} (found by mDNS)`)
    }, () => {
      // one dial, never retried: a LAN peer not of this cluster is expected to refuse it
    })
  }

  /** Dials `target` unless a dial of `key` is under way or its backoff has not passed.
   * `drained`: the peer behind it, said at info when it drained and stopped (expected, as in a
   * rolling restart). */
  #tryDial (key: string, target: (signal: AbortSignal) => Promise<unknown>, timeoutMs: number, what: string, drained?: string): void {
    const state = this.#backoff.get(key) ?? { next: 0, delay: REDIAL_MIN_MS }
    if (this.#stopped || this.#dialing.has(key) || Date.now() < state.next) return
    const isJoin = key.startsWith('join:')
    this.#dialing.add(key)
    const controller = new AbortController()
    this.#dials.add(controller)
    this.stats.started++
    target(AbortSignal.any([controller.signal, AbortSignal.timeout(timeoutMs)])).then(() => {
      this.stats.connected++
      // a join address is said every time it connects; a member only after it had been lost
      if (isJoin || state.delay > REDIAL_MIN_MS) this.#opts.log.info({ target: what }, `connected to ${what}`)
      this.#backoff.set(key, { next: 0, delay: REDIAL_MIN_MS })
    }, (err: unknown) => {
      if (!this.#stopped) this.#failed(key, state, err as Error, what, drained)
    }).finally(() => {
      this.#dialing.delete(key)
      this.#dials.delete(controller)
      // the next member waiting takes its place now, not at the next heartbeat
      if (!isJoin && !this.#stopped) this.maintain()
    })
  }

  #failed (key: string, state: Backoff, err: Error, what: string, drained: string | undefined): void {
    const isJoin = key.startsWith('join:')
    const maxDelay = isJoin ? JOIN_REDIAL_MAX_MS : MEMBER_REDIAL_MAX_MS
    // a join address: every failed try is said (the operator is waiting on it); a member: its
    // first failed try, then at most every MEMBER_DIAL_LOG_EVERY_MS
    let loggedAt = state.loggedAt
    if (isJoin || loggedAt === undefined || Date.now() - loggedAt >= MEMBER_DIAL_LOG_EVERY_MS) {
      loggedAt = Date.now()
      if (drained !== undefined && this.#opts.table.drained(drained)) {
        this.#opts.log.info({ target: what, retryInMs: state.delay }, `cannot reach ${what}, which drained and stopped; retrying with backoff (up to ${maxDelay} ms) for when it is back`)
      } else this.#opts.log.warn({ target: what, retryInMs: state.delay }, `cannot reach ${what} (${err.message}); is it up, and does it hold the same cluster key? retrying with backoff (up to ${maxDelay} ms)`)
    }
    // a member whose dial timed out (a silent network: no SYN answered) is dialled again at once,
    // each dial sending fresh SYNs: a healed path is found within about a second, not after a
    // backoff (one dial at a time; a refused or failed one backs off)
    const timedOut = /abort|time ?out/i.test(`${err.name} ${err.message}`)
    this.stats.failed++
    if (timedOut) this.stats.timedOut++
    const silent = !isJoin && timedOut
    this.#backoff.set(key, { next: Date.now() + state.delay, delay: silent ? REDIAL_MIN_MS : Math.min(maxDelay, state.delay * 2), ...(loggedAt !== undefined && { loggedAt }) })
  }
}
