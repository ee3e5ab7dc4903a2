/**
 * Streams an answer's text to a client with one write per token while the connection keeps up,
 * and one write for all the tokens that arrived while the previous write was still pending when
 * it does not: each write costs a message through gRPC or HTTP and a syscall, which on a fast
 * model is a large share of a token's time. A token that finds the stream idle goes out at once,
 * so nothing is ever held back to wait for company.
 */
export class TokenCoalescer {
  readonly #write: (text: string, written: () => void) => void
  #pending = ''
  #writing = false

  /** `write` sends text and calls `written` once the transport has taken it (its write callback). */
  constructor (write: (text: string, written: () => void) => void) {
    this.#write = write
  }

  push (text: string): void {
    if (text === '') return
    if (this.#writing) {
      this.#pending += text
      return
    }
    this.#send(text)
  }

  /** Sends what waits now, before an event that must come after it (the answer's end). */
  flush (): void {
    if (this.#pending === '') return
    const text = this.#pending
    this.#pending = ''
    this.#send(text)
  }

  #send (text: string): void {
    this.#writing = true
    this.#write(text, () => {
      this.#writing = false
      this.flush()
    })
  }
}
