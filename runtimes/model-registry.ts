import { mkdir, readdir, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { readGgufInfo, validateModel } from './gguf/index.ts'
import type { ModelFacts } from './gguf/index.ts'

/** Model names are file names without `.gguf`: safe in URLs, paths and metrics labels. */
export const MODEL_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/

export interface ModelEntry {
  readonly name: string
  readonly file: string
  readonly sizeBytes: number
  /** 'ready': validated, can be loaded. 'invalid': refused before loading; `error` says why. */
  readonly status: 'ready' | 'invalid'
  readonly error?: string
  readonly facts?: ModelFacts
}

/**
 * The models in the models dir. Every GGUF is read and validated (header, metadata, tensor layout)
 * before anything may load it: a malformed file must never reach llama.cpp, which aborts the whole
 * process on some of them. Files are re-validated only when their size or mtime changes.
 */
export class ModelRegistry {
  readonly dir: string
  #entries = new Map<string, ModelEntry & { mtimeMs: number }>()

  constructor (dir: string) {
    this.dir = dir
  }

  /** Re-reads the directory; resolves with every model, sorted by name. */
  async scan (): Promise<ModelEntry[]> {
    await mkdir(this.dir, { recursive: true })
    const next = new Map<string, ModelEntry & { mtimeMs: number }>()
    for (const file of (await readdir(this.dir)).sort()) {
      if (!file.endsWith('.gguf')) continue
      const name = file.slice(0, -'.gguf'.length)
      const path = join(this.dir, file)
      let info
      try {
        info = await stat(path)
      } catch {
        continue   // removed while scanning
      }
      if (!info.isFile()) continue
      const known = this.#entries.get(name)
      if (known !== undefined && known.mtimeMs === info.mtimeMs && known.sizeBytes === info.size) {
        next.set(name, known)
        continue
      }
      next.set(name, { ...await this.#check(name, path, info.size), mtimeMs: info.mtimeMs })
    }
    this.#entries = next
    return this.list()
  }

  list (): ModelEntry[] {
    return [...this.#entries.values()].map(({ mtimeMs: _, ...entry }) => entry)
  }

  get (name: string): ModelEntry | undefined {
    const entry = this.#entries.get(name)
    if (entry === undefined) return undefined
    const { mtimeMs: _, ...rest } = entry
    return rest
  }

  async #check (name: string, path: string, sizeBytes: number): Promise<ModelEntry> {
    if (!MODEL_NAME_PATTERN.test(name)) {
      return { name, file: path, sizeBytes, status: 'invalid', error: `the file name must match ${MODEL_NAME_PATTERN} before .gguf` }
    }
    try {
      const facts = validateModel(path, await readGgufInfo(path))
      return { name, file: path, sizeBytes, status: 'ready', facts }
    } catch (err) {
      return { name, file: path, sizeBytes, status: 'invalid', error: (err as Error).message }
    }
  }
}
