import * as grpc from '@grpc/grpc-js'
import { describe } from '../../actors/index.ts'
import type { ChatMessage } from '../../actors/index.ts'
import type { RoomSink } from './chat-gateway.ts'
import { wireMessage } from './chat-wire.ts'

/** History is read in pages of this many messages. */
const HISTORY_PAGE = 500
/** Live messages held while history is being sent; a stream that falls further behind is ended
 * (the client resumes from its last seq, so nothing is lost). */
export const MAX_PENDING_LIVE = 10_000
/** Messages queued in gRPC for a client that does not read; beyond it the stream is ended. */
export const MAX_WRITE_BUFFER = 1_000

export interface RoomStreamOptions {
  readonly room: string
  readonly after: number
  /** Messages with seq > after, oldest first, at most `limit`. */
  readonly history: (after: number, limit: number) => Promise<ChatMessage[]>
  readonly onEnd: () => void
}

type Writable = grpc.ServerWritableStream<unknown, { message?: unknown, live?: { lastSeq: number } }>

/**
 * One Subscribe call: history after `after`, then live messages, each seq exactly once and in
 * order. Live pushes that arrive while history is being sent wait; a push that skips seqs (one was
 * lost on the way) makes the stream fetch the gap from history. So the seam between history and
 * live, and any later hiccup, costs neither a gap nor a duplicate.
 */
export class RoomStream implements RoomSink {
  readonly room: string
  readonly #call: Writable
  readonly #history: RoomStreamOptions['history']
  readonly #onEnd: () => void
  #lastSent: number
  #pending: ChatMessage[] = []
  #catchingUp = true
  #live = false
  #ended = false

  constructor (call: Writable, options: RoomStreamOptions) {
    this.#call = call
    this.room = options.room
    this.#lastSent = options.after
    this.#history = options.history
    this.#onEnd = options.onEnd
    const gone = (): void => { this.#end() }
    call.on('cancelled', gone)
    call.on('close', gone)
  }

  get lastSent (): number { return this.#lastSent }
  get ended (): boolean { return this.#ended }

  /** Sends the history, then the `live` marker; live messages follow as they are pushed. */
  async start (): Promise<void> {
    await this.#catchUp()
    if (this.#ended) return
    this.#live = true
    this.#call.write({ live: { lastSeq: this.#lastSent } })
  }

  push (message: ChatMessage): void {
    if (this.#ended) return
    if (this.#catchingUp) {
      if (this.#pending.length >= MAX_PENDING_LIVE) {
        this.fail(grpc.status.RESOURCE_EXHAUSTED, `stream fell too far behind the room; resubscribe with after=${this.#lastSent}`)
        return
      }
      this.#pending.push(message)
      return
    }
    this.#deliver(message)
  }

  close (reason: string): void {
    this.fail(grpc.status.UNAVAILABLE, `${reason}; resubscribe with after=${this.#lastSent}`)
  }

  fail (code: grpc.status, details: string): void {
    if (this.#ended) return
    this.#call.emit('error', { code, details })
    this.#end()
  }

  #deliver (message: ChatMessage): void {
    if (message.seq <= this.#lastSent) return
    if (message.seq === this.#lastSent + 1) {
      this.#write(message)
      return
    }
    // a gap: the push of an earlier message was lost; history has it
    this.#pending.push(message)
    this.#catchingUp = true
    void this.#catchUp()
  }

  async #catchUp (): Promise<void> {
    this.#catchingUp = true
    try {
      for (;;) {
        const page = await this.#history(this.#lastSent, HISTORY_PAGE)
        if (this.#ended) return
        for (const message of page) if (message.seq === this.#lastSent + 1) this.#write(message)
        if (page.length < HISTORY_PAGE) break
      }
    } catch (err) {
      this.fail(grpc.status.UNAVAILABLE, `reading the history of room ${this.room} failed: ${describe(err)}; resubscribe with after=${this.#lastSent}`)
      return
    }
    this.#catchingUp = false
    const pending = this.#pending.sort((a, b) => a.seq - b.seq)
    this.#pending = []
    for (const message of pending) {
      if (this.#ended) return
      if (this.#catchingUp) this.#pending.push(message)
      else this.#deliver(message)
    }
  }

  #write (message: ChatMessage): void {
    if (this.#ended) return
    this.#lastSent = message.seq
    this.#call.write({ message: wireMessage(message) })
    if (this.#call.writableLength > MAX_WRITE_BUFFER) {
      this.fail(grpc.status.RESOURCE_EXHAUSTED, `client is not reading fast enough; resubscribe with after=${this.#lastSent}`)
    }
  }

  #end (): void {
    if (this.#ended) return
    this.#ended = true
    this.#pending = []
    this.#onEnd()
  }

  /** True once the stream has sent its history and is following the room live. */
  get live (): boolean { return this.#live }
}
