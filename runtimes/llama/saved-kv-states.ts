import { mkdir } from 'node:fs/promises'
import { errorData } from '../../protocols/index.ts'
import { MAX_AFFINITY_KEYS } from './constants.ts'
import { kvStatePaths, listKvStates, modelSha256, removeKvStateById } from './kv-state-file.ts'
import type { LlamaWorkerData, SavedKvState } from './llama-protocol.ts'

export interface SavedKvStatesLog {
  warn (obj: object, msg: string): void
}

export interface SavedKvStatesOptions {
  /** Where the states are kept (created when missing). */
  readonly dir: string
  /** The GGUF file: saved states must name its hash. */
  readonly modelFile: string
  /** The model's name, for log lines. */
  readonly model: string
  /** Bytes the states may take on disk; the least recently saved go first. */
  readonly budgetBytes: number
  /** Called for every state a worker saved, with its size. */
  readonly onSaved?: (bytes: number) => void
  readonly log: SavedKvStatesLog
}

/**
 * One load's KV caches saved on disk, as the runtime counts them: the bytes of each, least
 * recently saved or read first, kept within a budget by removing the oldest; and the cache keys
 * whose state arrived from another node (its agent moved here), whose next request restores it.
 * The workers write and read the files; this is the account that bounds them.
 */
export class SavedKvStates {
  /** What a saved state must match to be loaded (the workers check it before they load one). */
  readonly identity: NonNullable<LlamaWorkerData['kvState']>
  /** id → bytes, least recently saved or read first. */
  readonly #bytes: Map<string, number>
  readonly #arrived = new Set<string>()
  readonly #budget: number
  readonly #onSaved: (bytes: number) => void
  readonly #model: string
  readonly #log: SavedKvStatesLog

  constructor (identity: NonNullable<LlamaWorkerData['kvState']>, saved: Map<string, number>, options: SavedKvStatesOptions) {
    this.identity = identity
    this.#bytes = saved
    this.#budget = options.budgetBytes
    this.#onSaved = options.onSaved ?? (() => {})
    this.#model = options.model
    this.#log = options.log
  }

  /** The states already in the dir and the model's hash; undefined when the dir cannot be used
   * (logged): caches kept in memory still work, only their saving is off. */
  static async open (options: SavedKvStatesOptions): Promise<SavedKvStates | undefined> {
    const { dir } = options
    try {
      await mkdir(dir, { recursive: true })
      const modelHash = await modelSha256(dir, options.modelFile)
      const saved = new Map((await listKvStates(dir)).map((s) => [s.id, s.bytes]))
      return new SavedKvStates({ dir, modelSha256: modelHash }, saved, options)
    } catch (err) {
      options.log.warn({ model: options.model, dir, err: errorData(err) }, 'KV caches cannot be saved to disk; they are kept in memory only')
      return undefined
    }
  }

  /** States on disk. */
  get size (): number {
    return this.#bytes.size
  }

  /** Bytes the states on disk take. */
  get bytes (): number {
    return [...this.#bytes.values()].reduce((a, b) => a + b, 0)
  }

  /** Counts states a worker saved, then removes the least recently saved beyond the budget. */
  async saved (states: readonly SavedKvState[]): Promise<void> {
    if (states.length === 0) return
    for (const s of states) {
      this.#touch(s.cacheKey, s.bytes)
      this.#onSaved(s.bytes)
    }
    let total = this.bytes
    for (const [id, bytes] of this.#bytes) {
      if (total <= this.#budget) break
      this.#bytes.delete(id)
      total -= bytes
      // a worker about to read it finds it missing and evaluates the prompt: only slower
      await removeKvStateById(this.identity.dir, id).catch((err: unknown) => { this.#log.warn({ model: this.#model, err: errorData(err) }, 'could not remove a saved KV cache') })
    }
  }

  /** A saved state was read (it is now the most recently used) or refused and removed. */
  read (cacheKey: string, removed: boolean): void {
    const { id } = kvStatePaths(this.identity.dir, cacheKey)
    const bytes = this.#bytes.get(id)
    this.#bytes.delete(id)
    if (!removed && bytes !== undefined) this.#bytes.set(id, bytes)
  }

  /** A state saved by another node was put in the dir: the conversation's next request restores
   * it rather than use an older copy a worker may hold in memory. */
  arrived (cacheKey: string, bytes: number): void {
    this.#touch(cacheKey, bytes)
    this.#arrived.add(cacheKey)
    if (this.#arrived.size > MAX_AFFINITY_KEYS) this.#arrived.delete(this.#arrived.values().next().value as string)
  }

  /** Whether the next request of `cacheKey` is to restore a state that arrived (true once). */
  takeArrived (cacheKey: string): boolean {
    return this.#arrived.delete(cacheKey)
  }

  #touch (cacheKey: string, bytes: number): void {
    const { id } = kvStatePaths(this.identity.dir, cacheKey)
    this.#bytes.delete(id)
    this.#bytes.set(id, bytes)
  }
}
