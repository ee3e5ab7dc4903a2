import { EventEmitter } from 'node:events'
import type { ServerResponse } from 'node:http'
import * as grpc from '@grpc/grpc-js'
import { UNSENDABLE_STATUS, sendableStatus } from '../grpc/index.ts'
import { messageFrame, percentEncoded, trailerFrame } from './grpc-web-frame.ts'

export interface WebCallOptions {
  readonly metadata: grpc.Metadata
  /** The client's address (getPeer, getConnectionInfo). */
  readonly peer: string
  /** The response's message encoder (the method's responseSerialize). */
  readonly serialize: (message: unknown) => Buffer
  /** application/grpc-web-text: every frame goes as base64. */
  readonly text: boolean
  /** Headers every response carries besides the content type (CORS). */
  readonly headers: Readonly<Record<string, string>>
  /** Once, with the status the call ended with (the client gone: CANCELLED). */
  readonly onEnd: (status: grpc.StatusObject) => void
}

/**
 * One gRPC-Web call as the grpc-js handlers of node/grpc see a call: `request`, `metadata`,
 * `write` (false when the connection's buffer is full, then `drain`), `end`, `emit('error',
 * status)`, `cancelled` and the `cancelled` and `close` events, `writableLength` (messages not yet
 * flushed: what a Subscribe measures its slow client by). The same handler functions serve both
 * transports; this class only carries their messages and status over HTTP/1.1 or HTTP/2 as
 * PROTOCOL-WEB.md frames them: the headers with the first byte, a frame per message as it comes,
 * the status as the trailers frame that ends the body.
 */
export class WebCall extends EventEmitter {
  request: unknown = undefined
  readonly metadata: grpc.Metadata
  cancelled = false
  readonly #res: ServerResponse
  readonly #options: WebCallOptions
  #pending = 0
  #ended = false
  readonly #extra: Record<string, string> = {}

  constructor (res: ServerResponse, options: WebCallOptions) {
    super()
    this.#res = res
    this.#options = options
    this.metadata = options.metadata
    // a handler ends a call with its status by emitting it (grpc-js's ServerWritableStream does)
    this.on('error', (status: Partial<grpc.StatusObject>) => { this.#finish(sendableStatus(status)) })
    res.on('drain', () => { this.emit('drain') })
    res.on('close', () => {
      if (!this.#ended) {
        this.#ended = true
        this.cancelled = true
        this.#options.onEnd({ code: grpc.status.CANCELLED, details: 'the client went away', metadata: new grpc.Metadata() })
        this.emit('cancelled', 'cancelled')
      }
      this.emit('close')
    })
  }

  getPeer (): string { return this.#options.peer }
  getConnectionInfo (): { remoteAddress: string } { return { remoteAddress: this.#options.peer } }
  getDeadline (): number { return Infinity }
  /** Response headers a handler adds before its first message (grpc-js's sendMetadata). */
  sendMetadata (metadata: grpc.Metadata): void {
    if (this.#res.headersSent) return
    for (const [key, value] of Object.entries(metadata.getMap())) {
      const text = Buffer.isBuffer(value) ? value.toString('base64') : String(value)
      if (!/[\r\n]/.test(text)) this.#extra[key] = text
    }
  }

  /** Messages written and not yet handed to the connection. */
  get writableLength (): number { return this.#pending }

  /** Sends a message now; false when the connection's buffer is full (wait for `drain`). A message
   * that cannot be encoded ends the call INTERNAL (as grpc-js does). */
  write (message: unknown, done?: (err?: Error | null) => void): boolean {
    if (this.#ended) return false
    let frame: Buffer
    try {
      frame = messageFrame(this.#options.serialize(message))
    } catch {
      this.#finish(UNSENDABLE_STATUS)
      return false
    }
    this.#head()
    this.#pending++
    return this.#res.write(this.#options.text ? frame.toString('base64') : frame, () => {
      this.#pending--
      done?.()
    })
  }

  /** The call ends OK. */
  end (): void {
    this.#finish({ code: grpc.status.OK, details: '', metadata: new grpc.Metadata() })
  }

  /** A unary handler's callback: the response, or the status it failed with. */
  readonly respond = (err: Partial<grpc.StatusObject> | null | undefined, value?: unknown): void => {
    if (err !== null && err !== undefined) {
      this.#finish(sendableStatus(err))
      return
    }
    // the status follows the message (queued behind it should the connection's buffer be full)
    this.write(value)
    this.end()
  }

  #head (): void {
    if (this.#res.headersSent) return
    this.#res.writeHead(200, { ...this.#extra, ...this.#options.headers, 'content-type': this.#options.text ? 'application/grpc-web-text+proto' : 'application/grpc-web+proto' })
  }

  #finish (status: grpc.StatusObject): void {
    if (this.#ended) return
    this.#ended = true
    this.#head()
    const frame = trailerFrame(statusTrailers(status))
    this.#res.end(this.#options.text ? frame.toString('base64') : frame)
    this.#options.onEnd(status)
    this.emit('finish')
  }
}

/** A status as trailers: grpc-status, grpc-message, and what its metadata adds (retry-after-ms,
 * grpc-status-details-bin in base64, as a -bin header goes). */
export function statusTrailers (status: grpc.StatusObject): Array<[string, string]> {
  const trailers: Array<[string, string]> = [['grpc-status', String(status.code)], ['grpc-message', percentEncoded(status.details)]]
  for (const [key, value] of Object.entries(status.metadata.getMap())) {
    const text = Buffer.isBuffer(value) ? value.toString('base64') : String(value)
    // a value never carries a line break into the trailers
    if (!/[\r\n]/.test(text)) trailers.push([key, text])
  }
  return trailers
}
