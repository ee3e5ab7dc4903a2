/**
 * A route's last answer, kept as the JSON its response schema serialized, and sent again while it
 * is made of the same parts (the same objects, compared by identity): a read of memory that
 * changes once a second (the stats samples) or once a log line (the log tail) would otherwise
 * serialize its hundreds of entries again for every request. One answer is kept: reads with other
 * parts (another query) serialize theirs, and keep it in its place.
 */
export class SerializedBody<T> {
  #parts: readonly unknown[] | undefined
  #json: T | undefined

  /** `serialize()`'s text, from the last call whose `parts` were the same as these. */
  json (parts: readonly unknown[], serialize: () => T): T {
    const last = this.#parts
    if (last !== undefined && this.#json !== undefined && last.length === parts.length && last.every((p, i) => p === parts[i])) return this.#json
    const json = serialize()
    this.#json = json
    this.#parts = parts
    return json
  }
}
