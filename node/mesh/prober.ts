import type { Connection, Libp2p, Stream } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { InvalidFrameError, MAX_PROBE_MISSED, MAX_PROBE_STREAMS, PROBE, PROBE_PROTOCOL, encodeProbe } from '../../protocols/p2p/index.ts'
import type { ProbeAnswer, ProbeFrame, ProbeRequest } from '../../protocols/p2p/index.ts'
import type { ServiceFailures } from '../services/index.ts'
import { CONNECTION_MISSES_BEFORE_ABORT } from './constants.ts'
import type { FailureDetector } from './failure-detector.ts'
import { lateAwareDeadline } from './late-aware-deadline.ts'
import { ProbeChannels, askOnStream } from './probe-channel.ts'
import { ProbeRounds } from './probe-rounds.ts'
import type { AlertVerdict, Outcome } from './probe-rounds.ts'
import { readProbeFrame } from './read-probe-frame.ts'
import { RefusalLog } from './refusal-log.ts'

/** Why a probe exchange's stream work stops (a reason made once: abort() with none makes a
 * DOMException, its stack included, at every probe). */
const PROBE_OVER = new Error('probe over')

export interface ProberOptions {
  readonly libp2p: Libp2p
  readonly detector: FailureDetector
  /** The members to probe (peer ids, this node excluded). */
  readonly targets: () => readonly string[]
  /** A member's liveness changed: the view may have changed. */
  readonly changed: () => void
  /** A connection to `peer` was aborted because its probes went unanswered: dial it again now. */
  readonly redial: (peer: string) => void
  /** Tell the other members that `peer` did not answer this node (member-alerts.ts). @default not told */
  readonly alert?: (peer: string, verdict: AlertVerdict) => void
  /** Where failed rounds are counted (`probe-round`). @default not counted */
  readonly failures?: ServiceFailures
  readonly log: { info (obj: object, msg: string): void, warn (obj: object, msg: string): void }
  /** @default Math.random (which members are asked to probe for this one) */
  readonly random?: () => number
}

/**
 * Failure detection over the connections that carry actor traffic (`/plexi/probe/1.0.0`), SWIM
 * style (the rounds, and which members each tick probes, are node/mesh/probe-rounds.ts'): a member
 * is probed on every open connection to it; when no connection answers in time, up to
 * INDIRECT_HELPERS other members are asked to probe it over theirs (a helper answers ACK if it was
 * answered, NACK if not). Verdicts are the FailureDetector's. A
 * connection whose probes go unanswered CONNECTION_MISSES_BEFORE_ABORT times in a row is aborted
 * and the member redialled once the member answers only through others or is found dead: a
 * silent network drop leaves TCP connections ESTABLISHED with nothing arriving, and only a fresh
 * connection recovers quickly (a healed path is found by the redial). Every exchange is one short
 * stream with a deadline; nothing waits without bound.
 */
export class Prober {
  readonly #opts: ProberOptions
  readonly #libp2p: Libp2p
  readonly #detector: FailureDetector
  readonly #rounds: ProbeRounds
  /** Probes (pings) and ping-reqs this node sent (counted for the membership's traffic). */
  readonly sent = { pings: 0, pingReqs: 0 }
  /** Direct probes in flight per member (a round and a helper's probe for another share one). */
  readonly #direct = new Map<string, Promise<Outcome>>()
  /** Direct probes in a row unanswered, per connection (by id) and per member (sent in pings). */
  readonly #connMisses = new Map<string, number>()
  readonly #peerMisses = new Map<string, number>()
  /** Streams open now (aborted at stop). */
  readonly #streams = new Set<Stream>()
  /** The long-lived probe stream of each connection (2.0.0), and the connections whose peer does
   * not speak it (an earlier version: a stream per exchange, 1.0.0). */
  readonly #channels: ProbeChannels
  readonly #perExchange = new Set<string>()
  #timer: ReturnType<typeof setInterval> | undefined
  #stopped = false
  #nonce = Math.floor(Math.random() * 0xffff_ffff)
  readonly #refusals: RefusalLog
  readonly #onClose = (evt: CustomEvent<Connection>): void => {
    this.#connMisses.delete(evt.detail.id)
    this.#perExchange.delete(evt.detail.id)
  }

  constructor (opts: ProberOptions) {
    this.#opts = opts
    this.#libp2p = opts.libp2p
    this.#detector = opts.detector
    this.#refusals = new RefusalLog(opts.log)
    this.#channels = new ProbeChannels({
      libp2p: opts.libp2p,
      answer: async (request, connection) => await this.#answerFor(request, connection.remotePeer.toString()),
      refused: (from, why) => { this.#refusals.refused(from, why) },
      openTimeoutMs: opts.detector.timing.failureTimeoutMs
    })
    this.#rounds = new ProbeRounds({
      detector: opts.detector,
      members: opts.targets,
      direct: async (peer) => await this.#probeDirect(peer, true),
      pingReq: async (helper, peer) => {
        const connection = this.#openConnection(helper)
        if (connection === undefined) return 'miss'
        return (await this.#exchange(connection, [PROBE.PING_REQ, this.#nextNonce(), peer], this.#detector.timing.indirectTimeoutMs)).result
      },
      reachable: (helper) => this.#openConnection(helper) !== undefined,
      changed: opts.changed,
      repair: (peer) => { this.#repair(peer) },
      alert: opts.alert ?? (() => undefined),
      random: opts.random ?? Math.random
    })
  }

  async start (): Promise<void> {
    await this.#channels.start()
    // #answer never rejects: a stream that fails is aborted and, if it broke the protocol, logged
    await this.#libp2p.handle(PROBE_PROTOCOL, (stream, connection) => { void this.#answer(stream, connection) }, {
      maxInboundStreams: MAX_PROBE_STREAMS,
      maxOutboundStreams: MAX_PROBE_STREAMS,
      runOnLimitedConnection: false
    })
    this.#libp2p.addEventListener('connection:close', this.#onClose)
    // a plain fixed-rate timer, not a PeriodicService: a tick only starts rounds, one per member,
    // which run side by side and may take longer than the interval (a round waiting on helpers);
    // a PeriodicService runs one run at a time, and would hold every member's round for the
    // slowest. A round that fails is counted and logged by probe().
    this.#timer = setInterval(() => {
      this.#rounds.tick(this.#failed)
    }, this.#detector.timing.intervalMs)
    this.#timer.unref()
  }

  async stop (): Promise<void> {
    this.#stopped = true
    this.#rounds.stop()
    if (this.#timer !== undefined) clearInterval(this.#timer)
    this.#libp2p.removeEventListener('connection:close', this.#onClose)
    for (const stream of this.#streams) stream.abort(new Error('this node is stopping'))
    await this.#channels.stop()
    // an unhandle that fails (libp2p already stopped) leaves nothing handled: what stop wants
    await this.#libp2p.unhandle(PROBE_PROTOCOL).catch(() => undefined)
  }

  /** Starts a round of probes of `peer` now (a connection to it just opened, its record was first
   * heard), unless one is in flight. */
  probe (peer: string): void {
    if (!this.#stopped) this.#rounds.start(peer, this.#failed)
  }

  readonly #failed = (peer: string, err: unknown): void => {
    this.#opts.failures?.add('probe-round')
    this.#opts.log.warn({ peer, err }, `probe round of ${peer} failed: ${(err as Error).message}`)
  }

  /** An open connection to `peer`, if any. */
  #openConnection (peer: string): Connection | undefined {
    let id
    try {
      id = peerIdFromString(peer)
    } catch {
      return undefined
    }
    return this.#libp2p.getConnections(id).find((c) => c.status === 'open')
  }

  /**
   * The connection to send `peer`'s actor traffic on: the newest open one whose last probe was
   * answered (or that was not probed yet), else the open one with the fewest probes unanswered.
   * libp2p itself would take the oldest open one, which after a cut may be one that stays silent
   * until it is aborted, while a fresh one to the same member works.
   */
  connectionFor (peer: string): Connection | undefined {
    let id
    try {
      id = peerIdFromString(peer)
    } catch {
      return undefined
    }
    let best: Connection | undefined
    let bestMisses = Infinity
    for (const connection of this.#libp2p.getConnections(id)) {
      if (connection.status !== 'open' || connection.limits !== undefined) continue
      const misses = this.#connMisses.get(connection.id) ?? 0
      if (misses < bestMisses || (misses === bestMisses && connection.timeline.open > (best?.timeline.open ?? -Infinity))) {
        best = connection
        bestMisses = misses
      }
    }
    return best
  }

  /** Probes a connection that just opened, at once and whatever round is in flight (one may be
   * waiting on a dead connection or on helpers): a member that comes back over a fresh connection
   * is up at its first answer. An unanswered probe here changes nothing; the rounds judge. */
  probeConnection (connection: Connection): void {
    const peer = connection.remotePeer.toString()
    if (this.#stopped) return
    const started = performance.now()
    // #exchange never rejects (a failed exchange is a 'miss')
    void this.#exchange(connection, [PROBE.PING, this.#nextNonce(), 0], this.#detector.timeoutFor(peer)).then(({ result }) => {
      if (result !== 'ack' || this.#stopped) return
      this.#connMisses.delete(connection.id)
      this.#peerMisses.delete(peer)
      if (this.#detector.acked(peer, { direct: true, rttMs: performance.now() - started })) this.#opts.changed()
    })
  }

  /**
   * Aborts the connections to `peer` whose probes went unanswered CONNECTION_MISSES_BEFORE_ABORT
   * times in a row, once that is the path's fault and not a busy member's: the member answers
   * through others while its connection stays silent, or it is found dead (silent for the failure
   * timeout: after a cut heals, TCP alone may take seconds to retransmit over a connection that
   * long silent, and a fresh one is at once). A member that is only slow keeps its connections
   * (aborting them would fail every ask on them). The member is redialled at once.
   */
  #repair (peer: string): void {
    const liveness = this.#detector.liveness(peer)
    if (liveness !== 'dead' && !(liveness === 'alive' && this.#detector.isIndirect(peer))) return
    // a member found dead answered nothing for the failure timeout: every connection to it that
    // was probed in vain goes (one opened since, not probed yet, may be the healed path)
    const needed = liveness === 'dead' ? 1 : CONNECTION_MISSES_BEFORE_ABORT
    let id
    try {
      id = peerIdFromString(peer)
    } catch {
      return
    }
    let aborted = 0
    for (const connection of this.#libp2p.getConnections(id)) {
      const misses = this.#connMisses.get(connection.id) ?? 0
      if (misses < needed || connection.status !== 'open') continue
      this.#connMisses.delete(connection.id)
      this.#opts.log.info({ peer, connection: connection.id, misses }, `closing the connection to ${peer}: ${misses} probes in a row went unanswered on it${liveness === 'dead' ? '' : ' while it answered through another member'}; dialling it again`)
      connection.abort(new Error(`${misses} probes in a row went unanswered`))
      aborted++
    }
    if (aborted > 0) this.#opts.redial(peer)
  }

  /**
   * Probes `peer` on every open connection to it: 'ack' if one answered, 'miss' if none did (or
   * none is open), 'late' if this node's own timers were late. `member`: it is a member this node
   * tracks (verdicts and connection repairs apply); a helper's probe of a peer it does not know
   * only answers its asker.
   */
  #probeDirect (peer: string, member: boolean): Promise<Outcome> {
    let running = this.#direct.get(peer)
    if (running === undefined) {
      running = this.#pingAll(peer, member).finally(() => { this.#direct.delete(peer) })
      this.#direct.set(peer, running)
    }
    return running
  }

  async #pingAll (peer: string, member: boolean): Promise<Outcome> {
    let id
    try {
      id = peerIdFromString(peer)
    } catch {
      return 'miss'
    }
    const connections = this.#libp2p.getConnections(id).filter((c) => c.status === 'open')
    if (connections.length === 0) return 'miss'
    const missed = Math.min(MAX_PROBE_MISSED, this.#peerMisses.get(peer) ?? 0)
    const timeout = this.#detector.timeoutFor(peer)
    const results = await Promise.all(connections.map(async (connection) => {
      const started = performance.now()
      const outcome = await this.#exchange(connection, [PROBE.PING, this.#nextNonce(), missed], timeout, !member ? undefined : (rttMs) => {
        this.#connMisses.delete(connection.id)
        this.#peerMisses.delete(peer)
        if (this.#detector.acked(peer, { direct: true, rttMs })) this.#opts.changed()
      })
      if (outcome.result === 'ack') {
        this.#connMisses.delete(connection.id)
        return { outcome: 'ack' as const, rttMs: performance.now() - started }
      }
      // counted here, repaired at the round's end (#repair): once it is the path's fault
      if (outcome.result === 'miss' && member) this.#connMisses.set(connection.id, (this.#connMisses.get(connection.id) ?? 0) + 1)
      return { outcome: outcome.result === 'nack' ? 'miss' as const : outcome.result, rttMs: 0 }
    }))
    const answered = results.find((r) => r.outcome === 'ack')
    if (answered !== undefined) {
      this.#peerMisses.delete(peer)
      if (member && this.#detector.acked(peer, { direct: true, rttMs: answered.rttMs })) this.#opts.changed()
      return 'ack'
    }
    if (results.every((r) => r.outcome === 'late')) return 'late'
    this.#peerMisses.set(peer, (this.#peerMisses.get(peer) ?? 0) + 1)
    return 'miss'
  }


  /**
   * One exchange on its own stream: the request, then one answer within `timeoutMs`. 'ack' and
   * 'nack' as answered; 'miss' when nothing (or nonsense) came back in time or the stream failed;
   * 'late' when the deadline's timer itself fired late. A peer that does not speak the protocol
   * (an older version) still answered the negotiation: that is an ack of the path.
   */
  async #exchange (connection: Connection, request: ProbeRequest, timeoutMs: number, lateAck?: (rttMs: number) => void): Promise<{ result: Outcome | 'nack' }> {
    const started = performance.now()
    if (request[0] === PROBE.PING) this.sent.pings++
    else this.sent.pingReqs++
    const controller = new AbortController()
    const deadline = lateAwareDeadline(timeoutMs)
    const attempt = (async (): Promise<Outcome | 'nack'> => {
      const answer = await this.#ask(connection, request, controller.signal)
      // a peer that speaks neither probe protocol (an older version) answered the negotiation
      if (answer === 'unsupported') return 'ack'
      if (answer[1] !== request[1] || (answer[0] !== PROBE.ACK && answer[0] !== PROBE.NACK) || (answer[0] === PROBE.NACK && request[0] === PROBE.PING)) {
        throw new InvalidFrameError(`probe answer of kind ${answer[0]}, nonce ${answer[1]} does not answer a ${request[0] === PROBE.PING ? 'ping' : 'ping-req'} with nonce ${request[1]}`)
      }
      return answer[0] === PROBE.ACK ? 'ack' : 'nack'
    })().catch((err: unknown) => {
      if (err instanceof InvalidFrameError) this.#refusals.refused(connection.remotePeer.toString(), `refused a probe answer from ${connection.remotePeer.toString()}: ${err.message}`)
      return 'miss' as const
    })
    let result: Outcome | 'nack' = 'miss'
    try {
      result = await Promise.race([attempt, deadline.promise])
      return { result }
    } finally {
      deadline.clear()
      if (result === 'miss' && lateAck !== undefined && !this.#stopped) {
        // Lifeguard's late acks: the round counts it missed (the member is suspect), but an answer
        // that still comes within the failure timeout shows a member that is slow (a starved
        // process), not dead: it keeps it from being judged dead and leaves its connection be
        const cutoff = setTimeout(() => { controller.abort(PROBE_OVER) }, Math.max(0, this.#detector.timing.failureTimeoutMs - timeoutMs))
        cutoff.unref()
        // attempt never rejects (its failures are 'miss')
        void attempt.then((late) => {
          clearTimeout(cutoff)
          if (late === 'ack' && !this.#stopped) lateAck(performance.now() - started)
        })
      } else {
        controller.abort(PROBE_OVER)
      }
    }
  }

  /** `request`'s answer over the connection's probe channel, or over a stream of its own where
   * the peer speaks only 1.0.0 ('unsupported': it speaks neither). */
  async #ask (connection: Connection, request: ProbeRequest, signal: AbortSignal): Promise<ProbeFrame | 'unsupported'> {
    if (!this.#perExchange.has(connection.id)) {
      try {
        return await this.#channels.exchange(connection, request, signal)
      } catch (err) {
        if ((err as Error).name !== 'UnsupportedProtocolError') throw err
        if (connection.status === 'open') this.#perExchange.add(connection.id)
      }
    }
    return await askOnStream(connection, request, signal, (stream) => { this.#track(stream) })
  }

  /** Answers one probe stream: a PING with an ACK; a PING_REQ by probing its target over this
   * node's own connections (ACK if answered, NACK if not). A stream that breaks the protocol is
   * reset and logged (at most REFUSALS_LOGGED a minute); nothing else changes. */
  async #answer (stream: Stream, connection: Connection): Promise<void> {
    const from = connection.remotePeer.toString()
    this.#track(stream)
    const signal = AbortSignal.timeout(this.#detector.timing.indirectTimeoutMs)
    try {
      const request = await readProbeFrame(stream, signal)
      if (request[0] !== PROBE.PING && request[0] !== PROBE.PING_REQ) throw new InvalidFrameError(`probe frame of kind ${request[0]} is an answer, not a request`)
      const answer = await this.#answerFor(request, from)
      if (stream.status !== 'open') return
      stream.send(encodeProbe(answer))
      await stream.close({ signal })
    } catch (err) {
      stream.abort(err instanceof Error ? err : new Error(String(err)))
      if (err instanceof InvalidFrameError) this.#refusals.refused(from, `refused a probe from ${from}: ${err.message}`)
    } finally {
      this.#streams.delete(stream)
    }
  }

  /** The answer to a request from `from`, on a stream of its own or a channel: a PING is
   * answered ACK at once; a PING_REQ once this node probed its target (ACK if it answered, NACK if
   * not). A ping-req naming no third member throws InvalidFrameError. */
  async #answerFor (request: ProbeRequest, from: string): Promise<ProbeAnswer> {
    if (request[0] === PROBE.PING) {
      this.#detector.pinged(from, request[2])
      return [PROBE.ACK, request[1]]
    }
    const target = request[2]
    if (target === from || target === this.#libp2p.peerId.toString()) throw new InvalidFrameError('a ping-req must name a third member')
    try {
      peerIdFromString(target)
    } catch {
      throw new InvalidFrameError(`ping-req target ${JSON.stringify(target)} is not a peer id`)
    }
    const member = this.#opts.targets().includes(target)
    const outcome = await this.#probeDirect(target, member)
    return [outcome === 'ack' ? PROBE.ACK : PROBE.NACK, request[1]]
  }

  #track (stream: Stream): void {
    this.#streams.add(stream)
    stream.addEventListener('close', () => { this.#streams.delete(stream) }, { once: true })
  }

  #nextNonce (): number {
    this.#nonce = (this.#nonce + 1) % 0x1_0000_0000
    return this.#nonce
  }
}
