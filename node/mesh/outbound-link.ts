import type { Stream } from '@libp2p/interface'
import { ACTOR_PROTOCOL_TRACED, EARLY_WRITE, EARLY_WRITE_MAX_TURN, FRAME_BATCH, MAX_FRAME_BYTES, encodeFrames, stripTraceField } from '../../protocols/p2p/index.ts'
import { PeerUnreachableError } from './errors.ts'
import type { TransportStats } from './transport-stats.ts'

/** Another node's ask whose request this node forwarded on a link. */
export interface ForwardedAsk {
  readonly askId: string
  readonly node: string
  readonly since: number
  /** It was a message for an entity (a draining peer passes it on to the entity's new owner). */
  readonly entity: boolean
}

/** An ask whose request is queued on a link: this node's own (`node` is this node) or one it
 * forwards for another node. */
export interface SentAsk {
  readonly askId: string
  readonly node: string
}

export interface OutboundLinkOptions {
  readonly peer: string
  /** Bytes of envelopes this link may hold before it refuses more ('full'). */
  readonly maxQueued: number
  /** Bytes handed to the stream in one write (several frames). */
  readonly writeBytes: number
  readonly stats: TransportStats
  /** Opens the link's stream (a dial; it rejects when the peer cannot be reached). */
  readonly open: () => Promise<Stream>
  /** The stream the link wrote on closed or the link broke: what went out may be lost. Called for
   * each stream that ends, and once when the link breaks for good, with the asks whose requests
   * were still queued then (`unsent`: they never left this node, so no one can answer them). */
  readonly lost: (link: OutboundLink, why: string, unsent: readonly SentAsk[]) => void
  /** The link broke for good (it is no longer the peer's). */
  readonly broken: (link: OutboundLink) => void
}

/**
 * The outgoing side towards one peer: a queue of packed envelopes and one long-lived stream that
 * keeps them in order. Envelopes queued during one event-loop turn go out at the turn's end, in
 * frames of at most FRAME_BATCH envelopes, several frames to a write (each write costs a muxer
 * frame, a noise message, the peer's window update and a syscall, whatever its size); the stream's
 * 'drain' event paces the writer. Under a light load the first EARLY_WRITE envelopes of a turn are
 * written at once, so the peer works on them while this node builds the rest. A link holding
 * `maxQueued` bytes refuses more: the same backpressure as a full mailbox.
 */
export class OutboundLink {
  readonly peer: string
  /** Other nodes' asks forwarded on this link, by `node/askId`: if it breaks they fail at their
   * asker (this node's own asks are tagged with the peer in the actor system instead). */
  readonly forwarded = new Map<string, ForwardedAsk>()
  readonly #opts: OutboundLinkOptions
  #queue: Uint8Array[] = []
  /** The ask each queued envelope carries, if any (kept beside the queue, in step with it). */
  #asks: Array<SentAsk | undefined> = []
  #bytes = 0
  #stream: Stream | undefined
  /** A flush is scheduled or running (it ends the turn). */
  #flushing = false
  /** The stream asked the writer to wait for its 'drain' event. */
  #draining = false
  /** Envelopes written during this turn, and during the previous one. */
  #sentThisTurn = 0
  #sentLastTurn = 0
  /** This turn already wrote its first envelopes early. */
  #wroteEarly = false
  #broken = false
  /** The stream being opened (a flush and a warm-up share it). */
  #opening: Promise<Stream | undefined> | undefined
  /** Whether the peer takes envelopes with a trace field (it answered /plexi/actor/1.1.0);
   * undefined until a stream is open. */
  #traced: boolean | undefined
  /** Envelopes queued with a trace field, before the peer's version was known. */
  #tracedQueued = 0

  constructor (opts: OutboundLinkOptions) {
    this.peer = opts.peer
    this.#opts = opts
  }

  /** Bytes waiting to be written. */
  get bytes (): number { return this.#bytes }

  get broken (): boolean { return this.#broken }

  /** False once the peer is known to be of a version that takes no trace field: the sender then
   * leaves it out. */
  get traced (): boolean | undefined { return this.#traced }

  /** Queues one packed envelope (`ask`: the ask whose request it is): 'ok', 'full' (over
   * maxQueued), or PeerUnreachableError when an early write found the stream broken (the link is
   * then broken too). */
  enqueue (envelope: Uint8Array, ask?: SentAsk, traced = false): 'ok' | 'full' | PeerUnreachableError {
    if (this.#bytes + envelope.byteLength > this.#opts.maxQueued) return 'full'
    if (traced && this.#traced === undefined) this.#tracedQueued++
    this.#queue.push(envelope)
    this.#asks.push(ask)
    this.#bytes += envelope.byteLength
    if (!this.#flushing) {
      this.#flushing = true
      setImmediate(this.#flush)
    }
    // a heavy load fills every write anyway: an early one would only add writes
    if (!this.#wroteEarly && this.#queue.length >= EARLY_WRITE && this.#sentLastTurn <= EARLY_WRITE_MAX_TURN) {
      this.#wroteEarly = true
      const stream = this.#stream
      if (stream !== undefined && !this.#draining) {
        try {
          this.#write(stream)
        } catch (err) {
          // the stream refused the write: what was queued is lost with the link, and so is this
          this.break((err as Error).message)
          return new PeerUnreachableError(this.peer, (err as Error).message)
        }
      }
    }
    return 'ok'
  }

  /** Opens the stream now if it is not open yet, with nothing to send (the peer was just heard:
   * its first messages then find the stream negotiated). A failure breaks the link as a send's
   * would. */
  warm (): void {
    if (this.#stream !== undefined || this.#broken || this.#opening !== undefined) return
    void this.#open()
  }

  /** Ends the link for good (idempotent): what is queued will not go out, and its stream is reset. */
  break (why: string): void {
    if (this.#broken) return
    this.#broken = true
    this.#opts.broken(this)
    const unsent = this.#asks.filter((a): a is SentAsk => a !== undefined)
    this.#queue = []
    this.#asks = []
    this.#bytes = 0
    this.#opts.lost(this, why, unsent)
    const stream = this.#stream
    this.#stream = undefined
    stream?.abort(new Error(why))
  }

  /** Hands the stream one write: frames of at most FRAME_BATCH envelopes, up to writeBytes. */
  #write (stream: Stream): void {
    const { envelopes, counts, bytes } = takeWrite(this.#queue, this.#opts.writeBytes)
    this.#asks.splice(0, envelopes.length)
    this.#bytes -= bytes
    this.#sentThisTurn += envelopes.length
    const stats = this.#opts.stats
    stats.writes++
    stats.framesSent += counts.length
    stats.envelopesSent += envelopes.length
    if (!stream.send(encodeFrames(envelopes, counts))) this.#draining = true
  }

  /** Writes what is queued, as fast as the stream takes it; it ends the turn that the first
   * envelope after the previous flush began. */
  readonly #flush = async (): Promise<void> => {
    try {
      while (this.#queue.length > 0 && !this.#broken) {
        const stream = this.#stream ?? await this.#open()
        if (stream === undefined) return
        while (this.#queue.length > 0 && this.#stream === stream) {
          if (this.#draining) {
            await drained(stream)
            this.#draining = false
            continue
          }
          this.#write(stream)
        }
      }
    } catch (err) {
      this.break((err as Error).message)
    } finally {
      this.#sentLastTurn = this.#sentThisTurn
      this.#sentThisTurn = 0
      this.#wroteEarly = false
      this.#flushing = false
      // envelopes that came while the last write was being made
      if (this.#queue.length > 0 && !this.#broken) {
        this.#flushing = true
        setImmediate(this.#flush)
      }
    }
  }

  /** The peer takes no trace field (an earlier version): the envelopes queued with one lose it. */
  #stripQueued (): void {
    let bytes = 0
    this.#queue = this.#queue.map((e) => {
      const stripped = stripTraceField(e)
      bytes += stripped.byteLength
      return stripped
    })
    this.#bytes = bytes
  }

  #open (): Promise<Stream | undefined> {
    this.#opening ??= this.#openStream().finally(() => { this.#opening = undefined })
    return this.#opening
  }

  async #openStream (): Promise<Stream | undefined> {
    try {
      const stream = await this.#opts.open()
      stream.addEventListener('close', () => {
        if (this.#stream !== stream) return
        this.#stream = undefined
        // what went out on it may be lost: its asks fail now rather than at their timeout (what is
        // still queued goes out on the next stream)
        this.#opts.lost(this, 'its stream closed', [])
      }, { once: true })
      this.#stream = stream
      this.#traced = stream.protocol === ACTOR_PROTOCOL_TRACED
      if (!this.#traced && this.#tracedQueued > 0) this.#stripQueued()
      this.#tracedQueued = 0
      return stream
    } catch (err) {
      this.break(`cannot open a stream: ${(err as Error).message}`)
      return undefined
    }
  }
}

/**
 * The envelopes of the next write and how many go in each of its frames: frames of at most
 * FRAME_BATCH envelopes (and MAX_FRAME_BYTES), added until the write holds `writeBytes`. Takes
 * them off the front of `queue`.
 */
export function takeWrite (queue: Uint8Array[], writeBytes: number): { envelopes: Uint8Array[], counts: number[], bytes: number } {
  const counts: number[] = []
  let n = 0
  let bytes = 0
  while (n < queue.length && bytes < writeBytes) {
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
  return { envelopes: queue.splice(0, n), counts, bytes }
}

/** Waits for the stream to take more (its 'drain' event: onDrain() stays resolved after the first
 * drain in @libp2p/utils 7.4, see docs/protocol.md) or to close. */
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
