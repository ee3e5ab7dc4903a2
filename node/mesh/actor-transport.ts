import type { Connection, Libp2p, Stream } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { ActorStoppedError, MailboxFullError, replyToOf } from '../../actors/index.ts'
import type { ActorAddress, DeliveryResult, NodeRole, Remoting, RemotingPort, ReplyOutcome, ReplyTo } from '../../actors/index.ts'
import { kindOf } from '../../protocols/index.ts'
import type { TraceField } from '../../protocols/index.ts'
import { NO_SPANS } from '../tracing/index.ts'
import type { Spans } from '../tracing/index.ts'
import { ACTOR_PROTOCOL, ACTOR_PROTOCOL_TRACED, ENVELOPE, InvalidFrameError, MAX_FRAME_BYTES, MAX_INBOUND_STREAMS, MAX_QUEUED_BYTES, OPEN_TIMEOUT_MS, WRITE_BYTES, encodeEnvelope } from '../../protocols/p2p/index.ts'
import type { Envelope } from '../../protocols/p2p/index.ts'
import { ASK_SWEEP_MS, FORWARDED_ASK_MS } from './constants.ts'
import { MessageTooLargeError, NoOwnerError, PeerUnreachableError } from './errors.ts'
import { EnvelopeTrace } from './envelope-trace.ts'
import { readActorStream } from './inbound-stream.ts'
import { OutboundLink } from './outbound-link.ts'
import type { SentAsk } from './outbound-link.ts'
import type { Placement } from './placement.ts'
import { RefusalLog } from './refusal-log.ts'
import { transportStats } from './transport-stats.ts'
import type { TransportStats } from './transport-stats.ts'
import { WireErrors } from './wire-errors.ts'

export interface ActorTransportOptions {
  readonly libp2p: Libp2p
  /** The actor system's inbound port (ActorSystem.attachRemoting). */
  readonly port: () => RemotingPort
  readonly placement: Placement
  /** Whether a member is leaving gracefully (draining): the entities' messages it was sent are
   * answered by the entities' new owners (it forwards them), so those asks do not fail when its
   * link closes (asks of its own actors do). */
  readonly leaving?: (peer: string) => boolean
  /** A link's dial of `peer` failed (membership marks a member whose address refuses the
   * connection down at once: its process is gone). */
  readonly dialFailed?: (peer: string, err: unknown) => void
  /** The connection a link to `peer` opens its stream on (failure detection's choice: one whose
   * probes are answered). @default libp2p's (the oldest open one), or a dial */
  readonly connectionFor?: (peer: string) => Connection | undefined
  readonly log: { warn (obj: object, msg: string): void, debug (obj: object, msg: string): void }
  /** @default MAX_QUEUED_BYTES */
  readonly maxQueuedBytes?: number
  /** The error classes rebuilt from failed asks off the wire. @default the mesh's and the folders'
   * below it (errors of inference, replication… then arrive as plain Errors carrying their name) */
  readonly errors?: WireErrors
  /** The node's spans: a message sent inside a recorded trace carries it (the envelope's trace
   * field, to peers that speak /plexi/actor/1.1.0), and one that arrives with one is handled in
   * it. @default NO_SPANS (none carried, arriving ones ignored) */
  readonly spans?: Spans
}

/** The actor protocols this node speaks, the traced one first (a dialer offers them in order). */
const ACTOR_PROTOCOLS = [ACTOR_PROTOCOL_TRACED, ACTOR_PROTOCOL]

/**
 * Actor messages between nodes over `/plexi/actor/1.0.0`: the mesh side of the actor system's
 * location transparency (it implements the kernel's Remoting and drives its RemotingPort). Each
 * node keeps one outgoing link per peer (outbound-link.ts: ordered, batched, bounded) and reads
 * every inbound stream frame by frame (inbound-stream.ts); a frame that breaks the protocol closes
 * that stream (logged), and the node goes on serving.
 */
export class ActorTransport implements Remoting {
  readonly stats: TransportStats = transportStats()
  readonly #opts: ActorTransportOptions
  readonly #libp2p: Libp2p
  readonly #placement: Placement
  readonly #log: ActorTransportOptions['log']
  readonly #maxQueued: number
  readonly #errors: WireErrors
  readonly #links = new Map<string, OutboundLink>()
  readonly #inbound = new Set<Stream>()
  #port: RemotingPort | undefined
  #sweep: ReturnType<typeof setInterval> | undefined
  #stopped = false
  /** Protocol violations: frames, and entity messages their type's check refused. */
  readonly #refusals: RefusalLog
  readonly #trace: EnvelopeTrace

  constructor (opts: ActorTransportOptions) {
    this.#trace = new EnvelopeTrace(opts.spans ?? NO_SPANS, (peer) => this.#links.get(peer)?.traced)
    this.#opts = opts
    this.#libp2p = opts.libp2p
    this.#placement = opts.placement
    this.#log = opts.log
    this.#maxQueued = opts.maxQueuedBytes ?? MAX_QUEUED_BYTES
    this.#errors = opts.errors ?? new WireErrors()
    this.#refusals = new RefusalLog(opts.log)
  }

  /** The system's port: taken once it is attached (the system attaches this very transport). */
  get #system (): RemotingPort {
    this.#port ??= this.#opts.port()
    return this.#port
  }

  async start (): Promise<void> {
    await this.#libp2p.handle(ACTOR_PROTOCOLS, (stream, connection) => { this.#read(stream, connection) }, {
      maxInboundStreams: MAX_INBOUND_STREAMS,
      runOnLimitedConnection: false
    })
    // a plain fixed-rate timer, not a PeriodicService: the sweep only drops old entries from maps
    // in memory, and cannot fail
    this.#sweep = setInterval(() => { this.#sweepAsks() }, ASK_SWEEP_MS)
    this.#sweep.unref()
  }

  async stop (): Promise<void> {
    this.#stopped = true
    if (this.#sweep !== undefined) clearInterval(this.#sweep)
    // an unhandle that fails (libp2p already stopped) leaves nothing handled: what stop wants
    await this.#libp2p.unhandle(ACTOR_PROTOCOLS).catch(() => undefined)
    for (const link of [...this.#links.values()]) link.break('this node is stopping')
    for (const stream of this.#inbound) stream.abort(new Error('node stopping'))
  }

  // ---- Remoting: what the actor system hands to the mesh ------------------------------------

  ownerOf (type: string, role: NodeRole, key: string): string | Error {
    return this.#placement.ownerOf(type, role, key)
  }

  toEntity (node: string, type: string, key: string, msg: unknown): DeliveryResult {
    return this.#request(node, msg, (wire, trace) => trace === undefined ? [ENVELOPE.ENTITY, type, key, wire, 0, ''] : [ENVELOPE.ENTITY, type, key, wire, 0, '', trace], true)
  }

  toActor (address: ActorAddress, msg: unknown): DeliveryResult {
    if (address.node === this.#system.node) return this.#system.deliverToActor(address.path, msg)
    return this.#request(address.node, msg, (wire, trace) => trace === undefined ? [ENVELOPE.ACTOR, address.path, wire] : [ENVELOPE.ACTOR, address.path, wire, trace], false)
  }

  /** Set once the node's migrator runs (Remoting.claim): asked before an entity is activated
   * here from its journal. */
  claimer: ((type: string, key: string) => Promise<void> | undefined) | undefined

  claim (type: string, key: string): Promise<void> | undefined {
    return this.claimer?.(type, key)
  }

  /** Set by the cluster (Remoting.mayActivate): false while this node's view is partial. */
  activating: (() => boolean) | undefined

  mayActivate (): boolean {
    return this.activating?.() ?? true
  }

  reply (to: ReplyTo<unknown>, outcome: ReplyOutcome): void {
    if (to.node === this.#system.node) {
      this.#system.settle(to.askId, outcome)
      return
    }
    const envelope: Envelope = 'error' in outcome
      ? [ENVELOPE.FAILURE, to.askId, this.#errors.toWire(outcome.error)]
      : [ENVELOPE.REPLY, to.askId, outcome.value]
    let result = this.#send(to.node, envelope, undefined)
    if (result instanceof MessageTooLargeError) {
      // the asker must not wait for its timeout: tell it why instead
      result = this.#send(to.node, [ENVELOPE.FAILURE, to.askId, this.#errors.toWire(result)], undefined)
    }
    if (result !== 'ok') this.#log.debug({ peer: to.node, askId: to.askId }, `reply to ${to.node} not sent: ${String(result)}`)
  }

  /** A member was declared down: its link is closed and the asks sent to it fail now, not at
   * their timeout. */
  peerDown (peer: string): void {
    this.#links.get(peer)?.break('it was declared down')
  }

  /** A member was heard up: its link's stream is opened now (a dial and a protocol negotiation,
   * round trips), so that the first messages to a member that just joined or came back do not wait
   * for it (the first entities moved to it would, each of their pauses). No-op while it is open. */
  warm (peer: string): void {
    if (peer === this.#system.node) return
    this.#linkTo(peer).warm()
  }

  /** Bytes waiting for each peer (for /metrics). */
  queued (): Array<{ peer: string, bytes: number }> {
    return [...this.#links.values()].map((l) => ({ peer: l.peer, bytes: l.bytes }))
  }

  // ---- sending --------------------------------------------------------------------------------

  /**
   * Sends a message that may carry a reply address. A request of this node's own ask travels with
   * `replyTo.node` empty (the peer knows who sent it: 52 bytes less per ask), in a copy: the
   * caller's message is never changed. If the link to `peer` breaks, that ask fails at once.
   */
  #request (peer: string, msg: unknown, envelope: (wire: unknown, trace: TraceField | undefined) => Envelope, entity: boolean): DeliveryResult {
    const trace = this.#trace.fieldFor(peer)
    const replyTo = replyToOf(msg)
    if (replyTo === undefined || replyTo.node !== this.#system.node) return this.#send(peer, envelope(msg, trace), replyTo, undefined, entity, trace !== undefined)
    this.#system.askSentTo(replyTo.askId, peer, entity)
    const wire = { ...(msg as object), replyTo: { askId: replyTo.askId, node: '' } }
    return this.#send(peer, envelope(wire, trace), undefined, replyTo, entity, trace !== undefined)
  }



  /** Packs and queues an envelope. `replyTo`: another node's ask this node forwards (tracked on
   * the link, to fail that ask at its asker if the link breaks); `own`: this node's own ask (tagged
   * by askSentTo). The link knows either while the request is queued. `entity`: the envelope is a
   * message for an entity (a draining peer passes it on: see #failAsks). */
  #send (peer: string, envelope: Envelope, replyTo: ReplyTo<unknown> | undefined, own?: ReplyTo<unknown>, entity = false, traced = false): DeliveryResult {
    if (this.#stopped) return new PeerUnreachableError(peer, 'this node is stopping')
    let bytes: Uint8Array
    try {
      bytes = encodeEnvelope(envelope)
    } catch (err) {
      return new TypeError(`message cannot be encoded for the wire: ${(err as Error).message}`)
    }
    if (bytes.byteLength > MAX_FRAME_BYTES - 16) return new MessageTooLargeError(bytes.byteLength, MAX_FRAME_BYTES - 16)
    const link = this.#linkTo(peer)
    const ask = replyTo ?? own
    this.stats.envelopeKinds.count(envelope)
    const result = link.enqueue(bytes, ask === undefined ? undefined : { askId: ask.askId, node: ask.node }, traced)
    if (result === 'ok' && replyTo !== undefined) {
      if (replyTo.node === this.#system.node) this.#system.askSentTo(replyTo.askId, peer, entity)
      else link.forwarded.set(`${replyTo.node}/${replyTo.askId}`, { askId: replyTo.askId, node: replyTo.node, since: Date.now(), entity })
    }
    return result
  }

  #linkTo (peer: string): OutboundLink {
    let link = this.#links.get(peer)
    if (link === undefined) {
      link = new OutboundLink({
        peer,
        maxQueued: this.#maxQueued,
        writeBytes: WRITE_BYTES,
        stats: this.stats,
        open: async () => {
          const signal = AbortSignal.timeout(OPEN_TIMEOUT_MS)
          const connection = this.#opts.connectionFor?.(peer)
          if (connection !== undefined) return await connection.newStream(ACTOR_PROTOCOLS, { signal })
          return await this.#libp2p.dialProtocol(peerIdFromString(peer), ACTOR_PROTOCOLS, { signal }).catch((err: unknown) => {
            this.#opts.dialFailed?.(peer, err)
            throw err
          })
        },
        lost: (lost, why, unsent) => { this.#failAsks(lost, why, unsent) },
        broken: (broken) => { if (this.#links.get(broken.peer) === broken) this.#links.delete(broken.peer) }
      })
      this.#links.set(peer, link)
    }
    return link
  }

  /** Fails the asks whose request went to the link's peer: this node's own (tagged by askSentTo)
   * and the ones it forwarded there. */
  #failAsks (link: OutboundLink, why: string, unsent: readonly SentAsk[]): void {
    const error = new PeerUnreachableError(link.peer, why)
    const forwarded = [...link.forwarded.values()]
    link.forwarded.clear()
    if (this.#opts.leaving?.(link.peer) === true) {
      // a draining member handed the entities' messages it was sent to their new owners, which
      // answer the askers directly: those asks wait for their answers (or their own timeouts).
      // What never left this node reached no one (a member that exited after its drain refuses the
      // link), and an ask of one of its actors (a claim of the migrator, say) has no one else to
      // answer it: those fail now, not when the member is declared down or at their timeouts
      const failed = new Set<string>()
      for (const ask of unsent) {
        failed.add(`${ask.node}/${ask.askId}`)
        if (ask.node !== link.peer) this.reply(ask, { error })
      }
      this.#system.failAsksSentTo(link.peer, error, true)
      for (const ask of forwarded) {
        if (!ask.entity && ask.node !== link.peer && !failed.has(`${ask.node}/${ask.askId}`)) this.reply({ askId: ask.askId, node: ask.node }, { error })
      }
      return
    }
    this.#system.failAsksSentTo(link.peer, error)
    // a forwarded ask fails at its asker (never back to the peer that broke)
    for (const ask of forwarded) if (ask.node !== link.peer) this.reply({ askId: ask.askId, node: ask.node }, { error })
  }

  #sweepAsks (): void {
    const now = Date.now()
    for (const link of this.#links.values()) {
      for (const [key, ask] of link.forwarded) if (now - ask.since > FORWARDED_ASK_MS) link.forwarded.delete(key)
    }
  }

  // ---- receiving ------------------------------------------------------------------------------

  #read (stream: Stream, connection: Connection): void {
    const peer = connection.remotePeer.toString()
    this.#inbound.add(stream)
    stream.addEventListener('close', () => { this.#inbound.delete(stream) }, { once: true })
    readActorStream(stream, {
      envelopes: (envelopes) => {
        this.stats.framesReceived++
        this.stats.envelopesReceived += envelopes.length
        for (const envelope of envelopes) this.#dispatch(peer, envelope)
      },
      failed: (err) => {
        if (this.#stopped) return
        if (err instanceof InvalidFrameError) {
          this.stats.framesRefused++
          this.#refusals.refused(peer, `closed the actor stream from ${peer}: ${err.message}`)
        } else {
          this.#log.warn({ peer, err }, `actor stream from ${peer} failed: ${err.message}`)
        }
      }
    })
  }

  #dispatch (from: string, envelope: Envelope): void {
    switch (envelope[0]) {
      case ENVELOPE.ENTITY: {
        this.stats.entityMessages++
        const [, type, key, msg, hops, origin, trace] = envelope
        const deliver = (): void => { this.#toEntityHere(from, type, key, hops === 0 ? restoreReplyTo(msg, from) : msg, hops, hops === 0 ? from : origin) }
        this.#trace.deliverIn(envelope.length === 7, trace, deliver)
        return
      }
      case ENVELOPE.ACTOR: {
        const [, path, sent, trace] = envelope
        const msg = restoreReplyTo(sent, from)
        const deliver = (): void => {
          const result = this.#system.deliverToActor(path, msg, true)
          if (result !== 'ok') this.#refuse(msg, result, path)
        }
        this.#trace.deliverIn(envelope.length === 4, trace, deliver)
        return
      }
      case ENVELOPE.REPLY:
        this.#system.settle(envelope[1], { value: envelope[2] })
        return
      case ENVELOPE.FAILURE:
        this.#system.settle(envelope[1], { error: this.#errors.fromWire(envelope[2], from) })
        return
      case ENVELOPE.OWNER: {
        const role = this.#system.roleOf(envelope[1])
        if (role !== undefined) this.#placement.learnOwner(envelope[1], role, envelope[2], envelope[3])
        return
      }
    }
  }

  /**
   * An entity message off the wire (from `peer`). This node hosts it when it is the owner in its own
   * view, or when the message was already forwarded once and this node holds the role (views differ
   * only while they converge; a second forward could loop). Otherwise it goes on to the owner, once.
   * The system checks it against its type's protocol before the entity sees it (EntityType.check).
   */
  #toEntityHere (peer: string, type: string, key: string, msg: unknown, hops: number, origin: string): void {
    const system = this.#system
    const role = system.roleOf(type)
    if (role === undefined) {
      // a type this node does not know: the system refuses it (UnknownEntityTypeError, not-found)
      const result = system.deliverToEntity(type, key, msg)
      if (result !== 'ok') this.#refuse(msg, result, `${type}/${key}`)
      return
    }
    // an entity active here, or moving to or from here, takes its messages here whatever this
    // node's view says (views converge after the move; its messages wait for it meanwhile)
    const owner = system.hosts(type, key) ? system.node : this.#placement.ownerOf(type, role, key)
    // forwarded once by the node the sender reached; once more by a node that holds the role no
    // more (draining: the entity moved on from here) to an owner that holds it, which delivers it
    const again = hops === 1 && typeof owner === 'string' && !this.#placement.holds(system.node, role) && this.#placement.holds(owner, role)
    if (typeof owner === 'string' && owner !== system.node && (hops === 0 || again)) {
      this.stats.forwarded++
      // tracked like an ask of this node: if the owner cannot be reached, the asker is told
      const trace = this.#trace.fieldFor(owner)
      const result = this.#send(owner, trace === undefined ? [ENVELOPE.ENTITY, type, key, msg, hops + 1, origin] : [ENVELOPE.ENTITY, type, key, msg, hops + 1, origin, trace], replyToOf(msg), undefined, true, trace !== undefined)
      if (result !== 'ok') this.#refuse(msg, result, `${type}/${key}`)
      return
    }
    if (owner !== system.node && !this.#placement.holds(system.node, role)) {
      this.#refuse(msg, owner instanceof Error ? owner : new NoOwnerError(type, role), `${type}/${key}`)
      return
    }
    const result = system.deliverToEntity(type, key, msg)
    if (result !== 'ok') {
      // a malformed message: a bug or a hostile member, worth a (bounded) line in the log
      if (result instanceof Error && kindOf(result) === 'invalid') this.#refusals.refused(peer, `refused a message from ${peer} for ${type}/${key}: ${result.message}`)
      this.#refuse(msg, result, `${type}/${key}`)
    }
    // the first sender had it wrong: tell it where the entity lives (unless this node only hosts it
    // on its way out: a draining node owns nothing)
    if (hops > 0 && origin !== system.node && this.#placement.holds(system.node, role)) this.#send(origin, [ENVELOPE.OWNER, type, key, system.node], undefined)
  }

  /** A message that could not be delivered: its ask (if any) fails with the reason. */
  #refuse (msg: unknown, result: Exclude<DeliveryResult, 'ok'>, target: string): void {
    const replyTo = replyToOf(msg)
    if (replyTo === undefined) return
    const error = result === 'full'
      ? new MailboxFullError(target, 0)
      : result === 'stopped' ? new ActorStoppedError(target) : result
    this.reply(replyTo, { error })
  }
}

/** The reverse of #request, on a message just decoded (so changing it in place is safe): an empty
 * `replyTo.node` is the sender's. */
function restoreReplyTo (msg: unknown, sender: string): unknown {
  const replyTo = (msg as { replyTo?: { node?: unknown } } | null)?.replyTo
  if (typeof replyTo === 'object' && replyTo !== null && replyTo.node === '') (replyTo as { node: string }).node = sender
  return msg
}
