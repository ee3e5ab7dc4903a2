/** One server-sent event: its `event:` name ('message' when none) and its `data:` lines joined. */
export interface SseEvent {
  readonly event: string
  readonly data: string
}

/**
 * Server-sent events from text pieces that arrive cut anywhere: in a line, between `\r` and `\n`,
 * or in a multi-line event. Follows the WHATWG event-stream rules (lines end with `\r\n`, `\n` or
 * `\r`; `:` starts a comment; one space after the colon is dropped; `data:` lines of one event
 * are joined with `\n`; a blank line dispatches), and bounds what it buffers so that a server
 * that never ends a line cannot grow our memory without end. Decoding bytes to text (UTF-8 cut
 * in a character) is the caller's, with a streaming TextDecoder.
 */
export class SseParser {
  readonly #maxEventChars: number
  #line = ''
  #data: string[] = []
  #dataChars = 0
  #event = ''
  /** The last piece ended with `\r`: a `\n` opening the next piece belongs to that line end. */
  #afterCr = false

  /** @param maxEventChars longest line or event accepted (RangeError beyond). */
  constructor (maxEventChars: number) {
    this.#maxEventChars = maxEventChars
  }

  /** Feeds a piece of the stream; returns the events it completed, in order. */
  push (text: string): SseEvent[] {
    const events: SseEvent[] = []
    let start = 0
    if (this.#afterCr && text.startsWith('\n')) start = 1
    this.#afterCr = false
    for (let i = start; i < text.length; i++) {
      const c = text.charCodeAt(i)
      if (c !== 0x0a && c !== 0x0d) continue
      this.#appendLine(text.slice(start, i))
      this.#endLine(events)
      if (c === 0x0d) {
        if (i + 1 === text.length) this.#afterCr = true
        else if (text.charCodeAt(i + 1) === 0x0a) i++
      }
      start = i + 1
    }
    this.#appendLine(text.slice(start))
    return events
  }

  /** The stream ended: an event still being built (no blank line after it) is dispatched too,
   * since some servers close right after their last `data:` line. */
  end (): SseEvent[] {
    const events: SseEvent[] = []
    if (this.#line.length > 0) this.#endLine(events)
    this.#dispatch(events)
    return events
  }

  #appendLine (piece: string): void {
    if (piece.length === 0) return
    this.#line += piece
    if (this.#line.length > this.#maxEventChars) throw new RangeError(`an event-stream line is longer than ${this.#maxEventChars} characters`)
  }

  #endLine (events: SseEvent[]): void {
    const line = this.#line
    this.#line = ''
    if (line.length === 0) {
      this.#dispatch(events)
      return
    }
    if (line.startsWith(':')) return
    const colon = line.indexOf(':')
    const field = colon === -1 ? line : line.slice(0, colon)
    let value = colon === -1 ? '' : line.slice(colon + 1)
    if (value.startsWith(' ')) value = value.slice(1)
    if (field === 'data') {
      this.#dataChars += value.length + 1
      if (this.#dataChars > this.#maxEventChars) throw new RangeError(`an event-stream event is longer than ${this.#maxEventChars} characters`)
      this.#data.push(value)
    } else if (field === 'event') {
      this.#event = value
    }
    // id: and retry: are for reconnecting EventSource clients; one completion is never resumed
  }

  #dispatch (events: SseEvent[]): void {
    if (this.#data.length > 0) events.push({ event: this.#event === '' ? 'message' : this.#event, data: this.#data.join('\n') })
    this.#data = []
    this.#dataChars = 0
    this.#event = ''
  }
}
