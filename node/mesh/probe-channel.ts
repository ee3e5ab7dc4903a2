import type { Connection, Libp2p, Stream } from '@libp2p/interface'
import { FrameReader, InvalidFrameError, MAX_PROBE_CHANNELS, MAX_PROBE_FRAME_BYTES, MAX_PROBE_STREAMS, PROBE, PROBE_CHANNEL_PROTOCOL, PROBE_PROTOCOL, decodeProbe, encodeProbe } from '../../protocols/p2p/index.ts'
import { readProbeFrame } from './read-probe-frame.ts'
import type { ProbeAnswer, ProbeFrame, ProbeRequest } from '../../protocols/p2p/index.ts'

/** Answers one request as the prober does (PING: ACK; PING_REQ: probes the target); throws
 * InvalidFrameError for a request that breaks the protocol. */
export type ProbeAnswerer = (request: ProbeRequest, connection: Connection) => ProbeAnswer | Promise<ProbeAnswer>

export interface ProbeChannelsOptions {
  readonly libp2p: Libp2p
  readonly answer: ProbeAnswerer
  /** A peer broke the protocol on a channel (its stream is reset). */
  readonly refused: (from: string, why: string) => void
  /** How long opening a connection's channel may take (it is shared by the probes waiting on it). */
  readonly openTimeoutMs: number
}

/** Bytes of a frame's length prefix: a probe frame (at most MAX_PROBE_FRAME_BYTES) needs two at most. */
const prefixBytes = (body: number): number => body < 128 ? 1 : 2

/**
 * One long-lived probe stream per connection and direction (`/plexi/probe/2.0.0`,
 * docs/protocol.md "Failure detection"): the prober's requests go out on it one frame each,
 * answers come back on it matched by nonce, in any order (a ping-req is answered once its helper
 * has probed the target, the pings behind it at once). With a stream per exchange (1.0.0, kept
 * for peers of an earlier version) each probe cost both ends a stream's opening, protocol
 * negotiation and closing, 7 frames and socket writes where this costs 2: at 10 idle nodes
 * probes were most of what a member sent. The path tested is the same (the connection's own),
 * and a silent connection still answers nothing: the prober's deadlines judge as before.
 */
export class ProbeChannels {
  readonly #opts: ProbeChannelsOptions
  /** This node's channel on each connection (by connection id), opening or open. */
  readonly #outbound = new Map<string, Promise<OutboundChannel>>()
  /** Every stream of the protocol open now, both directions (aborted at stop). */
  readonly #streams = new Set<Stream>()
  #stopped = false

  constructor (opts: ProbeChannelsOptions) {
    this.#opts = opts
  }

  async start (): Promise<void> {
    await this.#opts.libp2p.handle(PROBE_CHANNEL_PROTOCOL, (stream, connection) => { this.#serve(stream, connection) }, {
      maxInboundStreams: MAX_PROBE_CHANNELS,
      maxOutboundStreams: MAX_PROBE_CHANNELS,
      runOnLimitedConnection: false
    })
  }

  async stop (): Promise<void> {
    this.#stopped = true
    for (const stream of this.#streams) stream.abort(new Error('this node is stopping'))
    this.#outbound.clear()
    await this.#opts.libp2p.unhandle(PROBE_CHANNEL_PROTOCOL).catch(() => undefined)
  }

  /**
   * Sends `request` on `connection`'s channel (opened at its first use) and resolves with the
   * answer of the same nonce. Rejects when `signal` aborts, the channel's stream fails or closes
   * first, or the peer does not speak the protocol (UnsupportedProtocolError, from libp2p: the
   * caller falls back to a stream per exchange).
   */
  async exchange (connection: Connection, request: ProbeRequest, signal: AbortSignal): Promise<ProbeFrame> {
    if (this.#stopped) throw new Error('this node is stopping')
    signal.throwIfAborted()
    let opening = this.#outbound.get(connection.id)
    if (opening === undefined) {
      opening = this.#open(connection)
      this.#outbound.set(connection.id, opening)
      // a failed opening is forgotten, so that the next probe tries again (it rejects its waiters)
      opening.catch(() => { if (this.#outbound.get(connection.id) === opening) this.#outbound.delete(connection.id) })
    }
    const channel = await abortable(opening, signal)
    return await channel.request(request, signal)
  }

  async #open (connection: Connection): Promise<OutboundChannel> {
    const stream = await connection.newStream(PROBE_CHANNEL_PROTOCOL, { signal: AbortSignal.timeout(this.#opts.openTimeoutMs) })
    this.#track(stream)
    const channel = new OutboundChannel(stream, (why) => { this.#opts.refused(connection.remotePeer.toString(), why) })
    stream.addEventListener('close', () => {
      const current = this.#outbound.get(connection.id)
      void current?.then((c) => { if (c === channel && this.#outbound.get(connection.id) === current) this.#outbound.delete(connection.id) }, () => undefined)
    }, { once: true })
    if (this.#stopped) stream.abort(new Error('this node is stopping'))
    return channel
  }

  /** Answers every request a peer's channel carries, each as soon as it is answered (at most
   * MAX_PROBE_STREAMS at once); a frame that breaks the protocol resets the stream and is logged
   * (at most REFUSALS_LOGGED a minute by the caller's log), and nothing else changes. */
  #serve (stream: Stream, connection: Connection): void {
    this.#track(stream)
    const from = connection.remotePeer.toString()
    const reader = new FrameReader()
    let unread = 0
    let inFlight = 0
    const refuse = (err: unknown): void => {
      stream.abort(err instanceof Error ? err : new Error(String(err)))
      if (err instanceof InvalidFrameError) this.#opts.refused(from, `refused a probe channel from ${from}: ${err.message}`)
    }
    const answer = async (request: ProbeRequest): Promise<void> => {
      inFlight++
      try {
        const frame = await this.#opts.answer(request, connection)
        if (stream.status === 'open' && stream.writeStatus === 'writable') stream.send(encodeProbe(frame))
      } catch (err) {
        refuse(err)
      } finally {
        inFlight--
      }
    }
    stream.addEventListener('message', (evt) => {
      const chunk = evt.data instanceof Uint8Array ? evt.data : evt.data.subarray()
      try {
        unread += chunk.byteLength
        reader.push(chunk, (body) => {
          unread -= body.byteLength + prefixBytes(body.byteLength)
          const request = decodeProbe(body)
          if (request[0] !== PROBE.PING && request[0] !== PROBE.PING_REQ) throw new InvalidFrameError(`probe frame of kind ${request[0]} is an answer, not a request`)
          if (inFlight >= MAX_PROBE_STREAMS) throw new InvalidFrameError(`more than ${MAX_PROBE_STREAMS} probe requests unanswered on one channel`)
          void answer(request)
        })
        // what is left is one frame's beginning: never more than a frame's worth
        if (unread > MAX_PROBE_FRAME_BYTES + 2) throw new InvalidFrameError(`a probe frame is at most ${MAX_PROBE_FRAME_BYTES} bytes`)
      } catch (err) {
        refuse(err)
      }
    })
    // the peer is done asking: this side is done answering once its answers are out
    stream.addEventListener('remoteCloseWrite', () => { void stream.close().catch(() => undefined) }, { once: true })
  }

  #track (stream: Stream): void {
    this.#streams.add(stream)
    stream.addEventListener('close', () => { this.#streams.delete(stream) }, { once: true })
  }
}

/** This node's requests on one connection's channel, and the answers awaited by nonce. */
class OutboundChannel {
  readonly #stream: Stream
  readonly #pending = new Map<number, { resolve: (frame: ProbeFrame) => void, reject: (err: Error) => void }>()
  readonly #reader = new FrameReader()
  #closed: Error | undefined

  constructor (stream: Stream, refused: (why: string) => void) {
    this.#stream = stream
    let unread = 0
    stream.addEventListener('message', (evt) => {
      const chunk = evt.data instanceof Uint8Array ? evt.data : evt.data.subarray()
      try {
        unread += chunk.byteLength
        this.#reader.push(chunk, (body) => {
          unread -= body.byteLength + prefixBytes(body.byteLength)
          const frame = decodeProbe(body)
          if (frame[0] !== PROBE.ACK && frame[0] !== PROBE.NACK) throw new InvalidFrameError(`probe frame of kind ${frame[0]} is a request, not an answer`)
          // an answer nobody waits for any more (its probe gave up) is dropped
          const waiting = this.#pending.get(frame[1])
          this.#pending.delete(frame[1])
          waiting?.resolve(frame)
        })
        // what is left is one answer's beginning: a peer announcing a longer one is not buffered
        if (unread > MAX_PROBE_FRAME_BYTES + 2) throw new InvalidFrameError(`a probe frame is at most ${MAX_PROBE_FRAME_BYTES} bytes`)
      } catch (err) {
        if (err instanceof InvalidFrameError) refused(`refused a probe answer: ${err.message}`)
        stream.abort(err instanceof Error ? err : new Error(String(err)))
      }
    })
    const ended = (err: Error): void => {
      this.#closed ??= err
      for (const waiting of this.#pending.values()) waiting.reject(this.#closed)
      this.#pending.clear()
    }
    stream.addEventListener('close', (evt) => { ended(evt.error ?? new Error('the probe channel closed')) }, { once: true })
    stream.addEventListener('remoteCloseWrite', () => {
      ended(new Error('the peer closed its probe channel'))
      stream.abort(new Error('the peer closed its probe channel'))
    }, { once: true })
  }

  /** Sends `request`; resolves with the answer of its nonce, rejects on `signal` or the stream's end. */
  request (request: ProbeRequest, signal: AbortSignal): Promise<ProbeFrame> {
    if (this.#closed !== undefined) return Promise.reject(this.#closed)
    // a connection whose probes go unanswered is aborted by the prober long before this many
    if (this.#pending.size >= MAX_PROBE_STREAMS) return Promise.reject(new Error(`${MAX_PROBE_STREAMS} probes unanswered on this connection`))
    const nonce = request[1]
    if (this.#pending.has(nonce)) return Promise.reject(new Error(`a probe with nonce ${nonce} is already waiting`))
    return new Promise<ProbeFrame>((resolve, reject) => {
      const onAbort = (): void => {
        this.#pending.delete(nonce)
        reject(signal.reason instanceof Error ? signal.reason : new Error('probe over'))
      }
      this.#pending.set(nonce, {
        resolve: (frame) => { signal.removeEventListener('abort', onAbort); resolve(frame) },
        reject: (err) => { signal.removeEventListener('abort', onAbort); reject(err) }
      })
      signal.addEventListener('abort', onAbort, { once: true })
      try {
        this.#stream.send(encodeProbe(request))
      } catch (err) {
        this.#pending.get(nonce)?.reject(err as Error)
        this.#pending.delete(nonce)
      }
    })
  }
}

/** One exchange on a stream of its own (1.0.0, a peer of an earlier version): the request, then
 * the answer; 'unsupported' when the peer speaks neither protocol. `track`: the stream, to abort
 * at stop. */
export async function askOnStream (connection: Connection, request: ProbeRequest, signal: AbortSignal, track: (stream: Stream) => void): Promise<ProbeFrame | 'unsupported'> {
  let stream: Stream
  try {
    stream = await connection.newStream(PROBE_PROTOCOL, { signal })
  } catch (err) {
    if ((err as Error).name === 'UnsupportedProtocolError') return 'unsupported'
    throw err
  }
  track(stream)
  try {
    if (signal.aborted) throw new Error('probe over')
    const reading = readProbeFrame(stream, signal)
    // awaited below; until then a failure of the send must not leave it an unhandled rejection
    reading.catch(() => undefined)
    stream.send(encodeProbe(request))
    await stream.close({ signal })
    return await reading
  } finally {
    // the answer is in, or never will be: an unfinished stream is reset, not left half open
    if (stream.status === 'open') stream.abort(new Error('probe over'))
  }
}

/** `promise`, or a rejection as soon as `signal` aborts (the promise itself goes on). */
function abortable<T> (promise: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => { reject(signal.reason instanceof Error ? signal.reason : new Error('probe over')) }
    signal.addEventListener('abort', onAbort, { once: true })
    promise.then((value) => { signal.removeEventListener('abort', onAbort); resolve(value) }, (err: unknown) => { signal.removeEventListener('abort', onAbort); reject(err) })
  })
}
