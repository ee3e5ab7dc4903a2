import { receiveMessageOnPort } from 'node:worker_threads'
import type { MessagePort } from 'node:worker_threads'
import { COALESCE_MS } from './constants.ts'
import type { LlamaControlMessage, LlamaStreamMessage } from './llama-protocol.ts'

/**
 * The worker's end of one request's MessagePort: it posts the generated text and reads the
 * runtime's cancel. Each message costs the node's main thread, and the client after it, work of its
 * own: on a fast model, or with several answers at once, a large share of a token's time on the CPU
 * llama.cpp needs. So pieces that come within COALESCE_MS of the last message wait and go out
 * together; the first piece, any piece after a pause, and the last (flush) go out at once.
 */
export class RequestPort {
  readonly #port: MessagePort
  readonly #coalesceMs: number
  readonly #onControl = (msg: LlamaControlMessage): void => { this.#control(msg) }
  #cancelled = false
  #unexpected: unknown
  /** Everything posted or waiting. */
  #text = ''
  #waiting = ''
  #lastPost = Number.NEGATIVE_INFINITY
  /** The wait of pieces being joined: cleared when the request ends, however it ends. */
  #timer: ReturnType<typeof setTimeout> | undefined

  constructor (port: MessagePort, coalesceMs = COALESCE_MS) {
    this.#port = port
    this.#coalesceMs = coalesceMs
    port.on('message', this.#onControl)
  }

  /** The runtime asked to stop (or sent something unknown, which stops too). */
  get cancelled (): boolean {
    return this.#cancelled
  }

  /** The type of a control message this worker does not know, if one came. */
  get unexpected (): unknown {
    return this.#unexpected
  }

  /** All the text given to `write`. */
  get text (): string {
    return this.#text
  }

  /** Reads the control messages already queued. A cancel posted while the request waited in
   * Piscina's queue is on the port already, but its event would come only after the prompt's
   * evaluation: read it before that work, and skip it. */
  readControl (): void {
    for (let entry = receiveMessageOnPort(this.#port); entry !== undefined; entry = receiveMessageOnPort(this.#port)) {
      this.#control(entry.message as LlamaControlMessage)
    }
  }

  write (piece: string): void {
    if (piece === '') return
    this.#text += piece
    this.#waiting += piece
    const since = performance.now() - this.#lastPost
    if (since >= this.#coalesceMs) this.flush()
    else this.#timer ??= setTimeout(() => { this.flush() }, this.#coalesceMs - since)
  }

  /** Posts what waits, at once. */
  flush (): void {
    clearTimeout(this.#timer)
    this.#timer = undefined
    if (this.#waiting === '') return
    this.#port.postMessage({ type: 'text-generated', text: this.#waiting } satisfies LlamaStreamMessage)
    this.#waiting = ''
    this.#lastPost = performance.now()
  }

  /** Stops listening; what still waits is dropped (flush first to send it). */
  close (): void {
    clearTimeout(this.#timer)
    this.#timer = undefined
    this.#port.off('message', this.#onControl)
    // the runtime closes the port once it has read everything posted on it
    this.#port.unref()
  }

  #control (msg: LlamaControlMessage): void {
    switch (msg.type) {
      case 'cancel': this.#cancelled = true; return
      default: {
        // Not assertNever: an exception thrown here would end the thread while llama.cpp works
        // for it, and that aborts the whole process (see LlamaRuntime). Stop, then fail instead.
        const type: never = msg.type
        this.#unexpected = type
        this.#cancelled = true
      }
    }
  }
}
