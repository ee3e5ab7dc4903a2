import type { FastifyReply, FastifyRequest } from 'fastify'
import { clientAddress } from '../limits/index.ts'
import type { ClientLimits } from '../limits/index.ts'
import { httpError } from './admin-errors.ts'

/** One open Server-Sent Events response. */
export interface EventStream {
  /** Sends one event (`event: NAME`, `data: JSON`); false once the stream has ended. */
  send (event: string, data: unknown): boolean
}

export interface EventStreamsOptions {
  /** Streams open at once on this endpoint: each holds a socket and a reader. @default 16 */
  readonly max?: number
  /** A comment line this often keeps proxies and the browser from timing the stream out.
   * @default 15000 */
  readonly keepAliveMs?: number
  /** Bytes queued for a reader that does not read; beyond it the stream is ended (the reader
   * reconnects, and is sent the history again). @default 1 MiB */
  readonly maxBuffered?: number
  /** The node's limits per client address: each stream holds one of its address's slots
   * (streams-per-ip) until it ends. @default none */
  readonly clients?: Pick<ClientLimits, 'openStream'>
}

/**
 * The admin endpoint's live streams (`/api/v1/stats/stream`, `/api/v1/logs/stream`): Server-Sent
 * Events over a response that stays open. Bounded: at most `max` open at once (429 beyond), a
 * reader that stops reading is cut off rather than buffered without end, and `closeAll()` (the
 * server closing) ends them all, so a node's stop never waits on a browser. With the node's
 * `clients`, one address holds at most its streams-per-ip of them (shared with its other streams).
 */
export class EventStreams {
  readonly #max: number
  readonly #keepAliveMs: number
  readonly #maxBuffered: number
  readonly #clients: Pick<ClientLimits, 'openStream'> | undefined
  readonly #open = new Set<(hangUp?: boolean) => void>()

  constructor (opts: EventStreamsOptions = {}) {
    this.#max = opts.max ?? 16
    this.#keepAliveMs = opts.keepAliveMs ?? 15_000
    this.#maxBuffered = opts.maxBuffered ?? 1024 * 1024
    this.#clients = opts.clients
  }

  get size (): number {
    return this.#open.size
  }

  /** Answers `request` with an event stream: `start` sends what comes first and subscribes,
   * returning what ends the subscription. */
  serve (request: FastifyRequest, reply: FastifyReply, start: (stream: EventStream) => () => void): FastifyReply {
    if (this.#open.size >= this.#max) throw httpError(429, 'TOO_MANY_STREAMS', `at most ${this.#max} live streams may be open on this node at once; close one (another dashboard tab?) and retry`)
    // TooManyStreamsError (429 TOO_MANY_STREAMS) when the address holds its share
    const release = this.#clients?.openStream('admin', clientAddress(request.ip)) ?? (() => {})
    const res = reply.raw
    reply.hijack()
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      'x-content-type-options': 'nosniff',
      // nginx and the like would otherwise hold events back
      'x-accel-buffering': 'no',
      // never reused for another request: the stream's end closes it
      connection: 'close'
    })
    let ended = false
    let unsubscribe = (): void => {}
    /** Ends the stream; `hangUp` closes its connection too (the server is closing: a connection
     * left open would hold the close until it timed out). */
    const end = (hangUp = false): void => {
      if (ended) {
        if (hangUp) res.destroy()
        return
      }
      ended = true
      clearInterval(keepAlive)
      this.#open.delete(end)
      release()
      unsubscribe()
      // the connection carried this stream alone (connection: close): it goes with it
      res.end(() => { res.destroy() })
    }
    const write = (text: string): boolean => {
      if (ended) return false
      if (res.writableLength > this.#maxBuffered) {
        end()
        return false
      }
      res.write(text)
      return true
    }
    const keepAlive = setInterval(() => { write(': keep-alive\n\n') }, this.#keepAliveMs)
    keepAlive.unref()
    this.#open.add(end)
    request.raw.socket.once('close', () => { end() })
    res.once('close', () => { end() })
    res.once('error', () => { end() })
    // a client gone before this ran has closed already: no event would end its stream
    if (res.closed || request.raw.socket.destroyed) end()
    // the browser reconnects on its own after this long when the stream drops
    write('retry: 2000\n\n')
    unsubscribe = start({ send: (event, data) => write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`) })
    if (ended) unsubscribe()
    return reply
  }

  /** Ends every open stream (the server is closing). */
  closeAll (): void {
    for (const end of [...this.#open]) end(true)
  }
}
