/** What one progress notification carries (MCP's `notifications/progress` params). */
export interface ProgressParams {
  readonly progressToken: string | number
  /** Characters of the answer sent so far: it grows with every notification, as the spec asks. */
  readonly progress: number
  /** The next piece of the answer. */
  readonly message: string
}

/**
 * An agent's answer as MCP progress notifications, while the agent makes it: each notification's
 * `message` is the next piece of the text and its `progress` the characters sent so far. One
 * notification is in flight at a time; the tokens that arrive meanwhile go out together in the
 * next (a notification per token would cost a write each on a fast model). A notification that
 * cannot be sent (the client's stream is gone) ends the notifications, never the answer: the
 * result still says the whole text.
 */
export class AgentProgress {
  readonly #send: (params: ProgressParams) => Promise<void>
  readonly #token: string | number
  #pending = ''
  #sent = 0
  #writing: Promise<void> | undefined
  #broken = false

  constructor (token: string | number, send: (params: ProgressParams) => Promise<void>) {
    this.#token = token
    this.#send = send
  }

  /** Characters sent so far. */
  get sent (): number {
    return this.#sent
  }

  /** A piece of the answer: sent now when nothing is in flight, else with the next one. */
  push (text: string): void {
    if (text === '' || this.#broken) return
    this.#pending += text
    this.#writing ??= this.#drain()
  }

  /** Resolves once every piece pushed so far was sent (or the notifications ended): the result
   * must come after the last piece. */
  async flushed (): Promise<void> {
    while (this.#writing !== undefined) await this.#writing
  }

  async #drain (): Promise<void> {
    try {
      while (this.#pending !== '' && !this.#broken) {
        const message = this.#pending
        this.#pending = ''
        this.#sent += message.length
        await this.#send({ progressToken: this.#token, progress: this.#sent, message }).catch(() => { this.#broken = true })
      }
    } finally {
      this.#writing = undefined
    }
  }
}
