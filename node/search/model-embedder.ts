import { SearchUnavailableError } from './errors.ts'
import type { Embedder } from './embedder.ts'

/** What embeds with a model (runtimes ModelManager.embed). */
export interface EmbeddingModels {
  embed (name: string, texts: readonly string[]): Promise<Float32Array[]>
}

/**
 * The node's own llama.cpp model as search's embedder (config `search-embedding-model`): its
 * embedding context, through the model manager's slots (runtimes/llama). The index opens before
 * the model manager exists, so the manager is bound later (bind); an embedding asked before then
 * waits for it.
 */
export class ModelEmbedder implements Embedder {
  readonly dimensions: number
  readonly model: string
  #bind: (models: EmbeddingModels) => void = () => {}
  readonly #models: Promise<EmbeddingModels>
  #closed = false

  /** `dimensions`: the model's embedding length (its GGUF's `<arch>.embedding_length`). */
  constructor (model: string, dimensions: number) {
    if (!Number.isSafeInteger(dimensions) || dimensions < 1) throw new RangeError(`dimensions: expected a positive integer, got ${dimensions}`)
    this.model = model
    this.dimensions = dimensions
    this.#models = new Promise((resolve) => { this.#bind = resolve })
  }

  bind (models: EmbeddingModels): void {
    this.#bind(models)
  }

  /** Embeddings asked from now on fail (the node stops). */
  close (): void {
    this.#closed = true
    this.#bind({ embed: async () => { throw new SearchUnavailableError('the node is stopping') } })
  }

  async embed (texts: readonly string[]): Promise<Float32Array[]> {
    if (this.#closed) throw new SearchUnavailableError('the node is stopping')
    const vectors = await (await this.#models).embed(this.model, texts)
    for (const v of vectors) {
      if (v.length !== this.dimensions) throw new SearchUnavailableError(`model ${this.model} gave a vector of ${v.length} dimensions, not ${this.dimensions}`)
    }
    return vectors
  }
}
