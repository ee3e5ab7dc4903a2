import { EMBED_BATCH, EMBED_QUEUE_MAX, MAX_EMBED_CHARS } from './constants.ts'

/** What turns texts into vectors (a node's llama.cpp embedding context, or a test's own). */
export interface Embedder {
  /** The vectors' length. */
  readonly dimensions: number
  /** One vector per text, in order. */
  embed (texts: readonly string[]): Promise<Float32Array[]>
}

export interface EmbedQueueOptions {
  readonly embedder: Embedder
  /** The vectors of rows, to the vector index. */
  readonly store: (ids: number[], vectors: Float32Array[]) => Promise<void>
  readonly onError?: (err: unknown) => void
  /** @default EMBED_QUEUE_MAX */
  readonly max?: number
}

/**
 * Rows waiting for their embeddings: embedded EMBED_BATCH at a time, one batch at a time (the
 * embedder is the model's, shared with agents), their vectors handed to the vector index. Bounded:
 * past `max` rows a new row is skipped (counted: it is found by text only until a rebuild).
 */
export class EmbedQueue {
  readonly #opts: EmbedQueueOptions
  #rows: Array<{ id: number, text: string }> = []
  #running: Promise<void> | undefined
  readonly stats = { embedded: 0, skipped: 0, failed: 0 }

  constructor (opts: EmbedQueueOptions) {
    this.#opts = opts
  }

  get queued (): number { return this.#rows.length }

  add (rows: ReadonlyArray<{ id: number, text: string }>): void {
    const room = (this.#opts.max ?? EMBED_QUEUE_MAX) - this.#rows.length
    if (rows.length > room) this.stats.skipped += rows.length - Math.max(0, room)
    if (room > 0) this.#rows.push(...rows.slice(0, room))
    this.#running ??= this.#run().finally(() => { this.#running = undefined })
  }

  async #run (): Promise<void> {
    while (this.#rows.length > 0) {
      const batch = this.#rows.splice(0, EMBED_BATCH)
      try {
        const vectors = await this.#opts.embedder.embed(batch.map((r) => r.text.slice(0, MAX_EMBED_CHARS)))
        await this.#opts.store(batch.map((r) => r.id), vectors)
        this.stats.embedded += batch.length
      } catch (err) {
        this.stats.failed += batch.length
        this.#opts.onError?.(err)
      }
    }
  }

  /** Resolves once every row queued now was embedded (or failed). */
  async drain (): Promise<void> {
    while (this.#running !== undefined) await this.#running
  }
}
