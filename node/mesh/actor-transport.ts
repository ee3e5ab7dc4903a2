import type { Connection, Libp2p, Stream } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { ActorStoppedError, MailboxFullError, replyToOf } from '../../actors/index.ts'
import type { ActorAddress, ActorSystem, DeliveryResult, NodeRole, Remoting, ReplyOutcome } from '../../actors/index.ts'
import { FrameReader, InvalidFrameError, decodeFrame, encodeEnvelope, encodeFrames } from '../../protocols/p2p/actor-frames.ts'
import type { Envelope } from '../../protocols/p2p/actor-frames.ts'
import {
  ACTOR_PROTOCOL, EARLY_WRITE, EARLY_WRITE_MAX_TURN, ENVELOPE, FRAME_BATCH, MAX_FRAME_BYTES, MAX_INBOUND_STREAMS, MAX_QUEUED_BYTES, OPEN_TIMEOUT_MS, WRITE_BYTES
} from '../../protocols/p2p/constants.ts'
import { MessageTooLargeError, NoOwnerError, PeerUnreachableError } from './errors.ts'
import type { Placement } from './placement.ts'
import { fromWireError, toWireError } from './wire-error.ts'

export interface ActorTransportOptions {
  readonly libp2p: Libp2p
  readonly system: ActorSystem
  readonly placement: Placement
  readonly log: { warn (obj: object, msg: string): void, debug (obj: object, msg: string): void }
  /** @default MAX_QUEUED_BYTES */
  readonly maxQueuedBytes?: number
}

/** Counters for /metrics. */
export interface TransportStats {
  /** Writes to the peers' streams (each holds one or more frames). */
  writes: number
  framesSent: number
  framesReceived: number
  envelopesSent: number
  envelopesReceived: number
  forwarded: number
  /** Frames that broke the protocol; each closed the stream that sent it. */
  framesRefused: number
}

/** The outgoing side towards one peer: a queue of packed envelopes and one long-lived stream. */
interface PeerLink {
  readonly peer: string
  queue: Uint8Array[]
  bytes: number
  stream: Stream | undefined
  /** A flush is scheduled or running (it ends the turn: see #flush). */
  flushing: boolean
  /** The stream asked the writer to wait for its 'drain' event. */
  draining: boolean
  /** Envelopes written during this turn, and during the previous one. */
  sentThisTurn: number
  sentLastTurn: number
  /** This turn already wrote its first envelopes early (see #send). */
  wroteEarly: boolean
  /** Set by #breakLink: this link is no longer the peer's. */
  broken: boolean
  /** Other nodes' asks this node forwarded on this link, by `node/askId`: if it breaks they fail
   * at their asker (this node's own asks are tagged with the peer in the actor system instead).
   * The periodic sweep forgets them. */
  readonly forwarded: Map<string, TrackedAsk>
}

/** Another node's ask whose request this node forwarded on a link. */
interface TrackedAsk {
  readonly askId: string
  readonly node: string
  readonly since: number
}

/** A forwarded ask is forgotten after this long (its asker's own timeout still holds). */
const FORWARDED_ASK_MS = 60_000

/** How often forwarded asks older than FORWARDED_ASK_MS are dropped from the links. */
const ASK_SWEEP_MS = 10_000
/** Protocol violations logged per minute, at most (a broken peer must not flood the log). */
const REFUSALS_LOGGED = 10

/**
 * Actor messages between nodes over `/plexi/actor/1.0.0`: the mesh side of the actor system's
 * location transparency. Each node keeps one outgoing stream per peer and sends everything for
 * that peer on it, in order: entity messages, actor messages, replies, owner hints. Envelopes
 * are packed when sent (their size is known at once), queued, and flushed once per event-loop
 * turn in frames of at most FRAME_BATCH envelopes; a peer whose queue holds MAX_QUEUED_BYTES
 * refuses more ('full', the same backpressure as a full mailbox), and the queue drains only as
 * fast as the stream does. Received frames are checked whole before any envelope is used; a
 * frame that breaks the protocol closes that stream (logged), and the node goes on serving.
 */
export class ActorTransport implements Remoting {
  readonly stats: TransportStats = { writes: 0, framesSent: 0, framesReceived: 0, envelopesSent: 0, envelopesReceived: 0, forwarded: 0, framesRefused: 0 }
  readonly #libp2p: Libp2p
  readonly #system: ActorSystem
  readonly #placement: Placement
  readonly #log: ActorTransportOptions['log']
  readonly #maxQueued: number
  readonly #self: string
  readonly #links = new Map<string, PeerLink>()
  readonly #inbound = new Set<Stream>()
  #sweep: ReturnType<typeof setInterval> | undefined
  #stopped = false
  #refusalsLogged = 0
  #refusalWindow = 0

  constructor (opts: ActorTransportOptions) {
    this.#libp2p = opts.libp2p
    this.#system = opts.system
    this.#placement = opts.placement
    this.#log = opts.log
    this.#maxQueued = opts.maxQueuedBytes ?? MAX_QUEUED_BYTES
    this.#self = opts.system.node
  }

  async start (): Promise<void> {
    await this.#libp2p.handle(ACTOR_PROTOCOL, (stream, connection) => { this.#read(stream, connection) }, {
      maxInboundStreams: MAX_INBOUND_STREAMS,
      runOnLimitedConnection: false
    })
    this.#sweep = setInterval(() => { this.#sweepAsks() }, ASK_SWEEP_MS)
    this.#sweep.unref()
  }

  async stop (): Promise<void> {
    this.#stopped = true
    if (this.#sweep !== undefined) clearInterval(this.#sweep)
    await this.#libp2p.unhandle(ACTOR_PROTOCOL).catch(() => undefined)
    for (const link of this.#links.values()) this.#breakLink(link, 'this node is stopping')
    for (const stream of this.#inbound) stream.abort(new Error('node stopping'))
  }

  // ---- Remoting: what the actor system hands to the mesh ------------------------------------

  ownerOf (type: string, role: NodeRole, key: string): string | Error {
    return this.#placement.ownerOf(type, role, key)
  }

  toEntity (node: string, type: string, key: string, msg: unknown): DeliveryResult {
    return this.#request(node, [ENVELOPE.ENTITY, type, key, msg, 0, ''], msg)
  }

  toActor (address: ActorAddress, msg: unknown): DeliveryResult {
    if (address.node === this.#self) return this.#system.deliverToActor(address.path, msg)
    return this.#request(address.node, [ENVELOPE.ACTOR, address.path, msg], msg)
  }

  /**
   * Sends a message that may carry a reply address. One asking this node for the reply travels
   * with `replyTo.node` left empty (the peer knows who sent it: 52 bytes less per ask); the field
   * is blanked only while the envelope is packed, so the caller's message ends as it was.
   */
  #request (peer: string, envelope: Envelope, msg: unknown): DeliveryResult {
    const replyTo = replyToOf(msg)
    if (replyTo === undefined || replyTo.node !== this.#self) return this.#send(peer, envelope, replyTo)
    // this node's own ask: if the link to `peer` breaks, it fails at once
    this.#system.askSentTo(replyTo.askId, peer)
    const address = replyTo as { node: string }
    try {
      address.node = ''
    } catch {
      return this.#send(peer, envelope, undefined)   // a frozen message goes as it is
    }
    try {
      return this.#send(peer, envelope, undefined)
    } finally {
      address.node = this.#self
    }
  }

  /** The reverse of #request, on a message just decoded: an empty `replyTo.node` is the sender. */
  #restoreReplyTo (msg: unknown, sender: string): unknown {
    const replyTo = (msg as { replyTo?: { node?: unknown } } | null)?.replyTo
    if (typeof replyTo === 'object' && replyTo !== null && replyTo.node === '') (replyTo as { node: string }).node = sender
    return msg
  }

  reply (to: { readonly askId: string, readonly node: string }, outcome: ReplyOutcome): void {
    if (to.node === this.#self) {
      this.#system.settle(to.askId, outcome)
      return
    }
    const envelope: Envelope = 'error' in outcome
      ? [ENVELOPE.FAILURE, to.askId, toWireError(outcome.error)]
      : [ENVELOPE.REPLY, to.askId, outcome.value]
    let result = this.#send(to.node, envelope, undefined)
    if (result instanceof MessageTooLargeError) {
      // the asker must not wait for its timeout: tell it why instead
      result = this.#send(to.node, [ENVELOPE.FAILURE, to.askId, toWireError(result)], undefined)
    }
    if (result !== 'ok') this.#log.debug({ peer: to.node, askId: to.askId }, `reply to ${to.node} not sent: ${String(result)}`)
  }

  /** A member was declared down: its link is closed and the asks sent to it fail now, not at
   * their timeout. */
  peerDown (peer: string): void {
    const link = this.#links.get(peer)
    if (link !== undefined) this.#breakLink(link, 'it was declared down')
  }

  /** Bytes waiting for each peer (for /metrics). */
  queued (): Array<{ peer: string, bytes: number }> {
    return [...this.#links.values()].map((l) => ({ peer: l.peer, bytes: l.bytes }))
  }

  // ---- sending --------------------------------------------------------------------------------

  /** Packs and queues an envelope; `replyTo` (of the message inside, when it is another node's
   * ask) is tracked to fail that ask at its asker if the link breaks. */
  #send (peer: string, envelope: Envelope, replyTo: { readonly askId: string, readonly node: string } | undefined): DeliveryResult {
    if (this.#stopped) return new PeerUnreachableError(peer, 'this node is stopping')
    let bytes: Uint8Array
    try {
      bytes = encodeEnvelope(envelope)
    } catch (err) {
      return new TypeError(`message cannot be encoded for the wire: ${(err as Error).message}`)
    }
    if (bytes.byteLength > MAX_FRAME_BYTES - 16) return new MessageTooLargeError(bytes.byteLength, MAX_FRAME_BYTES - 16)
    let link = this.#links.get(peer)
    if (link === undefined) {
      link = {
        peer, queue: [], bytes: 0, stream: undefined, flushing: false, draining: false, sentThisTurn: 0, sentLastTurn: 0, wroteEarly: false,
        broken: false, forwarded: new Map()
      }
      this.#links.set(peer, link)
    }
    if (link.bytes + bytes.byteLength > this.#maxQueued) return 'full'
    link.queue.push(bytes)
    link.bytes += bytes.byteLength
    if (replyTo !== undefined) {
      if (replyTo.node === this.#self) this.#system.askSentTo(replyTo.askId, peer)
      else link.forwarded.set(`${replyTo.node}/${replyTo.askId}`, { askId: replyTo.askId, node: replyTo.node, since: Date.now() })
    }
    if (!link.flushing) {
      link.flushing = true
      setImmediate(() => { void this.#flush(link) })
    }
    // Under a light load, the first envelopes of a turn go out at once: the peer starts on them
    // while this node builds the rest, so two groups are in flight and both nodes work at the same
    // time instead of taking turns (at 64 asks in flight: about 25% more round trips). Under a
    // heavy load every write is full anyway, and an early one would only add writes.
    if (!link.wroteEarly && link.queue.length >= EARLY_WRITE && link.sentLastTurn <= EARLY_WRITE_MAX_TURN) {
      link.wroteEarly = true
      const stream = link.stream
      if (stream !== undefined && !link.draining) {
        try {
          this.#write(link, stream)
        } catch (err) {
          // the stream refused the write: what was queued is lost with the link, and so is this
          this.#breakLink(link, (err as Error).message)
          return new PeerUnreachableError(peer, (err as Error).message)
        }
      }
    }
    return 'ok'
  }

  /** Hands the stream one write: frames of at most FRAME_BATCH envelopes, up to WRITE_BYTES. */
  #write (link: PeerLink, stream: Stream): void {
    const { envelopes, counts } = takeWrite(link)
    link.sentThisTurn += envelopes.length
    this.stats.writes++
    this.stats.framesSent += counts.length
    this.stats.envelopesSent += envelopes.length
    if (!stream.send(encodeFrames(envelopes, counts))) link.draining = true
  }

  /** Writes what is queued, as fast as the stream takes it; it ends the turn that the first send
   * after the previous flush began. */
  async #flush (link: PeerLink): Promise<void> {
    try {
      while (link.queue.length > 0 && !this.#stopped) {
        const stream = link.stream ?? await this.#open(link)
        if (stream === undefined) return
        while (link.queue.length > 0 && link.stream === stream) {
          if (link.draining) {
            await drained(stream)
            link.draining = false
            continue
          }
          this.#write(link, stream)
        }
      }
    } catch (err) {
      this.#breakLink(link, (err as Error).message)
    } finally {
      link.sentLastTurn = link.sentThisTurn
      link.sentThisTurn = 0
      link.wroteEarly = false
      link.flushing = false
      // sends that came while the last frame was being written
      if (link.queue.length > 0 && !this.#stopped && this.#links.get(link.peer) === link) {
        link.flushing = true
        setImmediate(() => { void this.#flush(link) })
      }
    }
  }

  async #open (link: PeerLink): Promise<Stream | undefined> {
    try {
      const stream = await this.#libp2p.dialProtocol(peerIdFromString(link.peer), ACTOR_PROTOCOL, { signal: AbortSignal.timeout(OPEN_TIMEOUT_MS) })
      stream.addEventListener('close', () => {
        if (link.stream !== stream) return
        link.stream = undefined
        // what went out on it may be lost: its asks fail now rather than at their timeout
        this.#failAsks(link, 'its stream closed')
      }, { once: true })
      link.stream = stream
      return stream
    } catch (err) {
      this.#breakLink(link, `cannot open a stream: ${(err as Error).message}`)
      return undefined
    }
  }

  #breakLink (link: PeerLink, why: string): void {
    if (link.broken) return
    link.broken = true
    if (this.#links.get(link.peer) === link) this.#links.delete(link.peer)
    // the queued envelopes will not go out: fail the asks among them (and those in flight)
    this.#failAsks(link, why)
    link.queue = []
    link.bytes = 0
    const stream = link.stream
    link.stream = undefined
    stream?.abort(new Error(why))
  }

  /** Fails the asks whose request went to the link's peer: this node's own (tagged by askSentTo)
   * and the ones it forwarded there. */
  #failAsks (link: PeerLink, why: string): void {
    const error = new PeerUnreachableError(link.peer, why)
    this.#system.failAsksSentTo(link.peer, error)
    if (link.forwarded.size === 0) return
    const forwarded = [...link.forwarded.values()]
    link.forwarded.clear()
    // a forwarded ask fails at its asker (never back to the peer that broke)
    for (const ask of forwarded) if (ask.node !== link.peer) this.reply({ askId: ask.askId, node: ask.node }, { error })
  }

  #sweepAsks (): void {
    for (const link of this.#links.values()) {
      const now = Date.now()
      for (const [key, ask] of link.forwarded) if (now - ask.since > FORWARDED_ASK_MS) link.forwarded.delete(key)
    }
  }

  // ---- receiving ------------------------------------------------------------------------------

  /** Reads an inbound stream: chunks are handled as they arrive (synchronously: each frame's
   * messages are in their mailboxes before the next chunk is read). A peer closing or resetting
   * its stream is normal (it stopped); only a frame that breaks the protocol is refused. */
  #read (stream: Stream, connection: Connection): void {
    const peer = connection.remotePeer.toString()
    const reader = new FrameReader()
    this.#inbound.add(stream)
    const onFrame = (body: Uint8Array): void => {
      const envelopes = decodeFrame(body)
      this.stats.framesReceived++
      this.stats.envelopesReceived += envelopes.length
      for (const envelope of envelopes) this.#dispatch(peer, envelope)
    }
    stream.addEventListener('message', (evt) => {
      if (stream.status !== 'open') return
      try {
        reader.push(evt.data instanceof Uint8Array ? evt.data : evt.data.subarray(), onFrame)
      } catch (err) {
        if (this.#stopped) return
        if (err instanceof InvalidFrameError) {
          this.stats.framesRefused++
          this.#refused(peer, err)
        } else {
          this.#log.warn({ peer, err }, `actor stream from ${peer} failed: ${(err as Error).message}`)
        }
        stream.abort(err as Error)
      }
    })
    stream.addEventListener('close', () => { this.#inbound.delete(stream) }, { once: true })
  }

  #refused (peer: string, err: Error): void {
    const minute = Math.floor(Date.now() / 60_000)
    if (minute !== this.#refusalWindow) {
      this.#refusalWindow = minute
      this.#refusalsLogged = 0
    }
    if (this.#refusalsLogged++ < REFUSALS_LOGGED) {
      this.#log.warn({ peer, err: err.message }, `closed the actor stream from ${peer}: ${err.message}`)
    }
  }

  #dispatch (from: string, envelope: Envelope): void {
    switch (envelope[0]) {
      case ENVELOPE.ENTITY: {
        const [, type, key, msg, hops, origin] = envelope
        this.#toEntityHere(type, key, hops === 0 ? this.#restoreReplyTo(msg, from) : msg, hops, hops === 0 ? from : origin, from)
        return
      }
      case ENVELOPE.ACTOR: {
        const [, path, sent] = envelope
        const msg = this.#restoreReplyTo(sent, from)
        const result = this.#system.deliverToActor(path, msg)
        if (result !== 'ok') this.#refuse(msg, result, path, 0)
        return
      }
      case ENVELOPE.REPLY:
        this.#system.settle(envelope[1], { value: envelope[2] })
        return
      case ENVELOPE.FAILURE:
        this.#system.settle(envelope[1], { error: fromWireError(envelope[2], from) })
        return
      case ENVELOPE.OWNER:
        this.#placement.learnOwner(envelope[1], envelope[2], envelope[3])
    }
  }

  /**
   * An entity message off the wire. This node hosts it when it is the owner in its own view, or
   * when the message was already forwarded once and this node holds the role (views differ only
   * while they converge; a second forward could loop). Otherwise it goes on to the owner, once.
   */
  #toEntityHere (type: string, key: string, msg: unknown, hops: number, origin: string, from: string): void {
    const role = this.#system.roleOf(type)
    if (role === undefined) {
      this.#refuse(msg, new Error(`no entity type ${type} on node ${this.#self}`), `${type}/${key}`, 0)
      return
    }
    const owner = this.#placement.ownerOf(type, role, key)
    if (typeof owner === 'string' && owner !== this.#self && hops === 0) {
      this.stats.forwarded++
      // tracked like an ask of this node: if the owner cannot be reached, the asker is told
      const result = this.#send(owner, [ENVELOPE.ENTITY, type, key, msg, 1, from], replyToOf(msg))
      if (result !== 'ok') this.#refuse(msg, result, `${type}/${key}`, 0)
      return
    }
    if (owner !== this.#self && !this.#placement.holds(this.#self, role)) {
      this.#refuse(msg, owner instanceof Error ? owner : new NoOwnerError(type, role), `${type}/${key}`, 0)
      return
    }
    const result = this.#system.deliverToEntity(type, key, msg)
    if (result !== 'ok') this.#refuse(msg, result, `${type}/${key}`, 0)
    // the first sender had it wrong: tell it where the entity lives
    if (hops > 0 && origin !== this.#self) this.#send(origin, [ENVELOPE.OWNER, type, key, this.#self], undefined)
  }

  /** A message that could not be delivered: its ask (if any) fails with the reason. */
  #refuse (msg: unknown, result: Exclude<DeliveryResult, 'ok'>, target: string, capacity: number): void {
    const replyTo = replyToOf(msg)
    if (replyTo === undefined) return
    const error = result === 'full'
      ? new MailboxFullError(target, capacity)
      : result === 'stopped' ? new ActorStoppedError(target) : result
    this.reply(replyTo, { error })
  }

}

/**
 * The envelopes of the next write and how many go in each of its frames: frames of at most
 * FRAME_BATCH envelopes (and MAX_FRAME_BYTES), added until the write holds WRITE_BYTES.
 */
function takeWrite (link: PeerLink): { envelopes: Uint8Array[], counts: number[] } {
  const queue = link.queue
  const counts: number[] = []
  let n = 0
  let bytes = 0
  while (n < queue.length && bytes < WRITE_BYTES) {
    let k = 0
    let frameBytes = 0
    while (n + k < queue.length && k < FRAME_BATCH) {
      const size = (queue[n + k] as Uint8Array).byteLength
      if (k > 0 && frameBytes + size > MAX_FRAME_BYTES - 16) break
      frameBytes += size
      k++
    }
    counts.push(k)
    n += k
    bytes += frameBytes
  }
  const envelopes = queue.splice(0, n)
  link.bytes -= bytes
  return { envelopes, counts }
}

/** Waits for the stream to take more (its 'drain' event: onDrain() stays resolved after the first
 * drain in @libp2p/utils 7.4, ../shared/stack.md §10) or to close. */
function drained (stream: Stream): Promise<void> {
  return new Promise((resolve, reject) => {
    if (!stream.writableNeedsDrain) {
      resolve()
      return
    }
    const onDrain = (): void => {
      stream.removeEventListener('close', onClose)
      resolve()
    }
    const onClose = (): void => {
      stream.removeEventListener('drain', onDrain)
      reject(new Error('stream closed while writing'))
    }
    stream.addEventListener('drain', onDrain, { once: true })
    stream.addEventListener('close', onClose, { once: true })
  })
}
