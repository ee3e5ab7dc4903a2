/** One Server-Sent Events response read event by event. */
export class EventReader {
  readonly #reader: ReadableStreamDefaultReader<Uint8Array>
  readonly #decoder = new TextDecoder()
  #buffer = ''

  constructor (body: ReadableStream<Uint8Array>) {
    this.#reader = body.getReader()
  }

  /** The next event (comments and `retry:` lines skipped); undefined when the stream ended. */
  async next (): Promise<{ event: string, data: unknown } | undefined> {
    for (;;) {
      const end = this.#buffer.indexOf('\n\n')
      if (end >= 0) {
        const block = this.#buffer.slice(0, end)
        this.#buffer = this.#buffer.slice(end + 2)
        const event = /^event: (.*)$/m.exec(block)?.[1]
        const data = /^data: (.*)$/m.exec(block)?.[1]
        if (event !== undefined && data !== undefined) return { event, data: JSON.parse(data) }
        continue
      }
      const { value, done } = await this.#reader.read()
      if (done) return undefined
      this.#buffer += this.#decoder.decode(value, { stream: true })
    }
  }

  async cancel (): Promise<void> {
    await this.#reader.cancel()
  }
}
