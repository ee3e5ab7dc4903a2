// The nodes this page may call, and the one it calls now. Any member of the cluster serves every
// room and agent, so when the page's node stops answering (the connection refused or cut, or its
// answer UNAVAILABLE) the page moves to the next one and carries on there: each Subscribe resumes
// from the last seq it showed (lib/room-feed.js), each post in flight is sent again with its
// client_id (lib/outbox.js). The list comes from the node's Nodes call, asked at the start, every
// REFRESH_MS while the page is healthy, and again once it reconnected. The page's
// Content-Security-Policy names the members up when it was loaded, and the page is given the same
// list (<meta name="plexi-connect">): a member heard of later is not called (the browser would
// refuse it); one the policy refuses all the same is skipped.
import { useEffect, useState } from 'preact/hooks'
import { METHODS } from './chat-messages.js'

/** How often the list of nodes is read again while the page is healthy (ms). */
export const REFRESH_MS = 30_000
/** How long a node whose connection failed is passed over when another is left to try (ms): it is
 * tried again after, or at once when every other one failed too. */
export const DOWN_MS = 10_000
/** Origins kept at most (a cluster's members; the bound stops a node naming thousands). */
const MAX_NODES = 64

/** The origins of the page's `<meta name="plexi-connect">` (undefined without one). */
function connectMeta () {
  const meta = typeof document === 'undefined' ? null : document.querySelector('meta[name="plexi-connect"]')
  return meta === null ? undefined : (meta.getAttribute('content') ?? '').split(' ').filter((o) => o !== '')
}

export class Nodes {
  /** Origins, in the order the page tries them. */
  #list
  #current
  /** origin → when it may be tried again (performance.now ms), after its connection failed. */
  #down = new Map()
  /** Origins the page's policy refused (securitypolicyviolation). */
  #refused = new Set()
  /** Origins the page's policy allows besides its own (its plexi-connect meta), or undefined: any. */
  #allowed
  /** Failures one after the other since the last answer. */
  #failures = 0
  #listeners = new Set()

  /** @param origin the page's own origin, the first node it calls; @param allowed the origins the
   * page's policy lets it call besides (the page's plexi-connect meta; undefined: any) */
  constructor (origin = location.origin, allowed = connectMeta()) {
    this.#list = [origin]
    this.#current = origin
    this.#allowed = allowed === undefined ? undefined : new Set(allowed)
    if (typeof document !== 'undefined') {
      document.addEventListener('securitypolicyviolation', (e) => {
        try { this.#refuse(new URL(e.blockedURI).origin) } catch { /* not a URL: nothing to skip */ }
      })
    }
  }

  /** The origin calls go to now. */
  get base () { return this.#current }
  /** Whether the page is moving to another node (the last call failed, none answered since). */
  get reconnecting () { return this.#failures > 0 }
  /** The origins known, in the order they are tried. */
  get list () { return [...this.#list] }

  /** Calls `listener` whenever `reconnecting` or `base` changes; returns the unsubscribe. */
  watch (listener) {
    this.#listeners.add(listener)
    return () => { this.#listeners.delete(listener) }
  }

  /** A call to `base` was answered: the page is connected there. */
  ok (base) {
    if (base !== this.#current || this.#failures === 0) return
    this.#failures = 0
    this.#down.delete(base)
    this.#changed()
  }

  /**
   * A call to `base` failed the way a node that stopped answering fails: its connection (refused,
   * cut, no status: `connection` true) or UNAVAILABLE from it. Moves to the next node not passed
   * over (a failed connection passes `base` over for DOWN_MS). Returns whether the next call goes
   * to another node that may answer at once: false once every node known failed in a row (the
   * caller backs off then). Calls that fail on a node the page already left (the other streams and
   * posts it had open there) count once: a node's death is one failure, however many calls it cut.
   */
  failed (base, connection) {
    if (connection) this.#down.set(base, performance.now() + DOWN_MS)
    if (base === this.#current) {
      this.#failures++
      this.#current = this.#next(base)
      this.#changed()
    }
    return this.#current !== base && this.#failures <= this.#list.length
  }

  /** Takes the list a node's Nodes call gave (its own first): those a browser reaches, with the
   * node called now kept. */
  learn (nodes) {
    const origins = nodes.map((n) => n.web).filter((web) => typeof web === 'string' && /^https?:\/\/[^/\s]+$/.test(web) && (this.#allowed === undefined || this.#allowed.has(web)))
    this.#list = [...new Set([this.#current, ...origins])].filter((o) => !this.#refused.has(o) || o === this.#current).slice(0, MAX_NODES)
  }

  /** Asks `client`'s node for the list now and every REFRESH_MS while the page is healthy; returns
   * the stop. A failure is left to the calls that carry the page: the next refresh asks again. */
  refreshWith (client) {
    const abort = new AbortController()
    const ask = () => {
      if (this.reconnecting) return
      client.call(METHODS.nodes, {}, abort.signal).then((answer) => { this.learn(answer.nodes) }, () => undefined)
    }
    ask()
    const timer = setInterval(ask, REFRESH_MS)
    // and at once after a move: the node reached now says who is up
    const unwatch = this.watch(() => { if (!this.reconnecting) ask() })
    return () => { clearInterval(timer); unwatch(); abort.abort() }
  }

  #next (from) {
    const now = performance.now()
    const at = this.#list.indexOf(from)
    const order = [...this.#list.slice(at + 1), ...this.#list.slice(0, at + 1)].filter((o) => !this.#refused.has(o))
    return order.find((o) => o !== from && !((this.#down.get(o) ?? 0) > now)) ?? order.find((o) => o !== from) ?? from
  }

  #refuse (origin) {
    if (origin === this.#list[0] && this.#list.length === 1) return
    this.#refused.add(origin)
    if (origin === this.#current) this.#current = this.#next(origin)
    this.#list = this.#list.filter((o) => o !== origin || o === this.#current)
    this.#changed()
  }

  #changed () {
    for (const listener of [...this.#listeners]) listener()
  }
}

/** `nodes.reconnecting`, kept in step (a component shows it). */
export function useReconnecting (nodes) {
  const [reconnecting, setReconnecting] = useState(nodes.reconnecting)
  useEffect(() => nodes.watch(() => setReconnecting(nodes.reconnecting)), [nodes])
  return reconnecting
}
