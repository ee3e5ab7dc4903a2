import type { FastifyReply } from 'fastify'

/**
 * A route's last answer, kept as the bytes of the JSON its response schema serialized, and sent
 * again while it is made of the same parts (the same objects, compared by identity): a read of
 * memory that changes once a second (the stats samples) or once a log line (the log tail) would
 * otherwise serialize its hundreds of entries again for every request, and encode the text to
 * UTF-8 again as it is written (tens of KB a request: 3% of a loaded node's time, profiled). One
 * answer is kept: reads with other parts (another query) serialize theirs, and keep it in its place.
 */
export class SerializedBody {
  #parts: readonly unknown[] | undefined
  #bytes: Buffer | undefined

  /** `serialize()`'s text as UTF-8, from the last call whose `parts` were the same as these. */
  json (parts: readonly unknown[], serialize: () => ReturnType<FastifyReply['serialize']>): Buffer {
    const last = this.#parts
    if (last !== undefined && this.#bytes !== undefined && last.length === parts.length && last.every((p, i) => p === parts[i])) return this.#bytes
    const bytes = utf8Of(serialize())
    this.#bytes = bytes
    this.#parts = parts
    return bytes
  }
}

/** What a route's serializer gave, as the bytes to send. */
export function utf8Of (text: ReturnType<FastifyReply['serialize']>): Buffer {
  return typeof text === 'string' ? Buffer.from(text) : Buffer.isBuffer(text) ? text : Buffer.from(text)
}
