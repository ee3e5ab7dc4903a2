import * as grpc from '@grpc/grpc-js'
import { describe } from '../../protocols/index.ts'
import type { AgentPartial, ChatMessage } from '../../actors/index.ts'
import type { RoomSink } from './chat-gateway.ts'
import type { SubscribeEvent } from './chat-wire.ts'
import { HISTORY_PAGE, MAX_PENDING_LIVE } from './constants.ts'


export interface RoomStreamOptions {
  readonly room: string
  readonly after: number
  /** Messages with seq > after, oldest first, at most `limit`. */
  readonly history: (after: number, limit: number) => Promise<ChatMessage[]>
  /** The wire event for a message (shared by every stream that sends it). */
  readonly toEvent: (message: ChatMessage) => SubscribeEvent
  /** Messages queued in gRPC for a client that does not read; beyond it the stream is ended with
   * RESOURCE_EXHAUSTED and the client resumes from its last seq (config `stream-buffer`). Bounds
   * the node's memory per slow client. */
  readonly maxBuffered: number
  readonly onEnd: () => void
}

type Writable = grpc.ServerWritableStream<unknown, SubscribeEvent>

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
  readonly #toEvent: (message: ChatMessage) => SubscribeEvent
  readonly #maxBuffered: number
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
    this.#toEvent = options.toEvent
    this.#maxBuffered = options.maxBuffered
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

  /** Only once live and caught up: a client still reading history would see the piece before
   * the message it answers. Pieces are not stored, so one missed costs nothing durable. */
  partial (partial: AgentPartial): void {
    if (this.#ended || !this.#live || this.#catchingUp) return
    this.#call.write({ agentPartial: { requestId: partial.requestId, user: partial.user, text: partial.text, inReplyTo: partial.inReplyTo } })
  }

  /** The room is at `lastSeq`: once live, a stream behind it fetches the gap from history (pushes
   * lost while the room changed owner; the next push would show the gap, but none may come). */
  reached (lastSeq: number): void {
    if (this.#ended || this.#catchingUp || !this.#live || lastSeq <= this.#lastSent) return
    void this.#catchUp()
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
        for (const message of page) {
          if (message.seq !== this.#lastSent + 1) continue
          // history goes at the client's pace: wait for gRPC's buffer to drain (flow control)
          if (!this.#send(message)) await this.#drained()
          if (this.#ended) return
        }
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

  /** A live message: the room does not wait for one slow client, so a client whose queue grows
   * past the limit is cut (it resumes from its last seq). */
  #write (message: ChatMessage): void {
    if (this.#ended) return
    this.#send(message)
    if (this.#call.writableLength > this.#maxBuffered) {
      this.fail(grpc.status.RESOURCE_EXHAUSTED, `client is not reading fast enough; resubscribe with after=${this.#lastSent}`)
    }
  }

  /** False when gRPC's buffer is full (wait for 'drain' before sending more). */
  #send (message: ChatMessage): boolean {
    this.#lastSent = message.seq
    return this.#call.write(this.#toEvent(message))
  }

  #drained (): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        this.#call.off('drain', done)
        this.#call.off('close', done)
        resolve()
      }
      this.#call.on('drain', done)
      this.#call.on('close', done)
    })
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
