import { watch } from 'node:fs'
import type { FSWatcher } from 'node:fs'
import { mkdir, readFile, readdir, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { MAX_REMOTE_FILE_BYTES, MODEL_LIST_MAX_AGE_MS, MODEL_LIST_RECHECK_MS } from './constants.ts'
import { readGgufInfo, validateModel } from './gguf/index.ts'
import type { ModelFacts } from './gguf/index.ts'
import type { RuntimeKind } from './runtime.ts'

/** Model names are file names without `.gguf` / `.json`: safe in URLs, paths and metrics labels. */
export const MODEL_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/

/** A model served by an OpenAI-compatible server (Ollama, llama-server, vLLM, another Plexi
 * node), declared by a `<name>.json` file in the models dir. */
export interface RemoteModel {
  readonly baseUrl: string
  readonly apiKey?: string
  /** The model's id on that server. */
  readonly model: string
  /** @default 4096 */
  readonly contextSize: number
  /** Requests sent to it at once. @default 4 */
  readonly slots: number
}

export interface ModelEntry {
  readonly name: string
  readonly file: string
  readonly sizeBytes: number
  readonly runtime: RuntimeKind
  /** 'ready': validated, can be loaded. 'invalid': refused before loading; `error` says why. */
  readonly status: 'ready' | 'invalid'
  readonly error?: string
  /** GGUF models: what the file declares. */
  readonly facts?: ModelFacts
  /** Remote models: where and how to reach them. */
  readonly remote?: RemoteModel
}

const REMOTE_KEYS = new Set(['runtime', 'baseUrl', 'apiKey', 'model', 'contextSize', 'slots'])

/**
 * The models in the models dir. Every GGUF is read and validated (header, metadata, tensor layout)
 * before anything may load it: a malformed file must never reach llama.cpp, which aborts the whole
 * process on some of them. Files are re-validated only when their size or mtime changes.
 */
export class ModelRegistry {
  readonly dir: string
  #entries = new Map<string, ModelEntry & { mtimeMs: number }>()
  /** When the last scan that completed began (performance.now()). */
  #scannedAt = Number.NEGATIVE_INFINITY
  /** A scan under way, which readers that accept a recent listing share. */
  #scanning: Promise<ModelEntry[]> | undefined
  /** The dir's watch (`watch()`): while it runs, a listing is kept until it says something changed. */
  #watcher: FSWatcher | undefined
  /** Changes the watch saw, and how many of them the last completed scan began after: a change
   * seen while a scan ran may have come after it read the file, so only a scan begun later counts. */
  #changes = 0
  #scannedChanges = 0

  constructor (dir: string) {
    this.dir = dir
  }

  /** Re-reads the directory; resolves with every model, sorted by name. With `maxAgeMs`, a
   * listing read no longer ago than that (or the scan under way) does instead: a read route under
   * load lists the dir once, not once per request. */
  async scan (options: { readonly maxAgeMs?: number } = {}): Promise<ModelEntry[]> {
    if (options.maxAgeMs !== undefined) {
      if (this.#changes === this.#scannedChanges && performance.now() - this.#scannedAt <= options.maxAgeMs) return this.list()
      if (this.#scanning !== undefined) return await this.#scanning
    }
    const started = performance.now()
    const changes = this.#changes
    const run = this.#scan()
    this.#scanning = run
    try {
      const listed = await run
      if (started >= this.#scannedAt) {
        this.#scannedAt = started
        this.#scannedChanges = changes
      }
      return listed
    } finally {
      if (this.#scanning === run) this.#scanning = undefined
    }
  }

  /** What a read route lists (GET /api/v1/models, /v1/models): while the dir is watched, the last
   * scan until the watch reports a change there or MODEL_LIST_RECHECK_MS pass (a filesystem that
   * reports no changes, such as a network one); unwatched, a scan at most MODEL_LIST_MAX_AGE_MS old. */
  async listing (): Promise<ModelEntry[]> {
    return await this.scan({ maxAgeMs: this.#watcher === undefined ? MODEL_LIST_MAX_AGE_MS : MODEL_LIST_RECHECK_MS })
  }

  /** Watches the dir (created if absent) for files added, changed, renamed or removed, so that
   * `listing()` rescans only after one; resolves with what stops the watch. A watch that cannot
   * start (no inotify watches left) or fails later (the dir removed) is none: listings go back to
   * MODEL_LIST_MAX_AGE_MS, and the node runs on. */
  async watch (): Promise<() => void> {
    if (this.#watcher !== undefined) throw new Error(`the models dir ${this.dir} is watched already`)
    await mkdir(this.dir, { recursive: true })
    let watcher: FSWatcher
    try {
      watcher = watch(this.dir, { persistent: false })
    } catch {
      // no inotify watch left (ENOSPC), a filesystem that has none: listings stay at most
      // MODEL_LIST_MAX_AGE_MS old, as unwatched
      return () => {}
    }
    const changed = (): void => { this.#changes++ }
    const ended = (): void => {
      changed()
      if (this.#watcher === watcher) this.#watcher = undefined
      watcher.close()
    }
    watcher.on('change', changed)
    watcher.on('error', ended)
    watcher.on('close', ended)
    this.#watcher = watcher
    // what changed before the watch began is in no listing kept so far
    changed()
    return () => {
      if (this.#watcher === watcher) this.#watcher = undefined
      watcher.off('close', ended)
      watcher.close()
    }
  }

  async #scan (): Promise<ModelEntry[]> {
    await mkdir(this.dir, { recursive: true })
    const next = new Map<string, ModelEntry & { mtimeMs: number }>()
    for (const file of (await readdir(this.dir)).sort()) {
      const kind = file.endsWith('.gguf') ? 'gguf' : file.endsWith('.json') ? 'json' : undefined
      if (kind === undefined) continue
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
      if (next.has(name)) {
        next.set(name, { name, file: path, sizeBytes: info.size, runtime: 'llama.cpp', status: 'invalid', error: `both ${name}.gguf and ${name}.json exist; keep one`, mtimeMs: info.mtimeMs })
        continue
      }
      const entry = kind === 'gguf' ? await this.#check(name, path, info.size) : await this.#checkRemote(name, path, info.size)
      next.set(name, { ...entry, mtimeMs: info.mtimeMs })
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
    const base = { name, file: path, sizeBytes, runtime: 'llama.cpp' } as const
    if (!MODEL_NAME_PATTERN.test(name)) {
      return { ...base, status: 'invalid', error: `the file name must match ${MODEL_NAME_PATTERN} before .gguf` }
    }
    try {
      const facts = validateModel(path, await readGgufInfo(path))
      return { ...base, status: 'ready', facts }
    } catch (err) {
      return { ...base, status: 'invalid', error: (err as Error).message }
    }
  }

  async #checkRemote (name: string, path: string, sizeBytes: number): Promise<ModelEntry> {
    const base = { name, file: path, sizeBytes, runtime: 'openai-http' } as const
    const invalid = (why: string): ModelEntry => ({ ...base, status: 'invalid', error: why })
    if (!MODEL_NAME_PATTERN.test(name)) return invalid(`the file name must match ${MODEL_NAME_PATTERN} before .json`)
    if (sizeBytes > MAX_REMOTE_FILE_BYTES) return invalid(`${sizeBytes} bytes is too large for a remote model file (at most ${MAX_REMOTE_FILE_BYTES})`)
    let doc: unknown
    try {
      doc = JSON.parse(await readFile(path, 'utf8'))
    } catch (err) {
      return invalid(`not JSON: ${(err as Error).message}`)
    }
    try {
      return { ...base, status: 'ready', remote: parseRemoteModel(doc) }
    } catch (err) {
      return invalid((err as Error).message)
    }
  }
}

/**
 * A remote model file: `{ "runtime": "openai", "baseUrl": "http://host:port/v1", "model": "id",
 * "apiKey": "...", "contextSize": 4096, "slots": 4 }` (apiKey, contextSize and slots optional).
 */
export function parseRemoteModel (doc: unknown): RemoteModel {
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) throw new Error('expected a JSON object')
  const o = doc as Record<string, unknown>
  const unknownKey = Object.keys(o).find((k) => !REMOTE_KEYS.has(k))
  if (unknownKey !== undefined) throw new Error(`unknown key "${unknownKey}" (expected ${[...REMOTE_KEYS].join(', ')})`)
  if (o.runtime !== 'openai') throw new Error(`runtime: expected "openai", got ${JSON.stringify(o.runtime)}`)
  if (typeof o.baseUrl !== 'string') throw new Error('baseUrl: expected a string such as "http://127.0.0.1:11434/v1"')
  let url: URL
  try {
    url = new URL(o.baseUrl)
  } catch {
    throw new Error(`baseUrl: ${JSON.stringify(o.baseUrl)} is not a URL`)
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`baseUrl: expected http or https, got ${url.protocol}`)
  if (typeof o.model !== 'string' || o.model.length === 0) throw new Error('model: expected the model id on that server (a non-empty string)')
  if (o.apiKey !== undefined && typeof o.apiKey !== 'string') throw new Error('apiKey: expected a string')
  const int = (key: string, value: unknown, fallback: number, min: number, max: number): number => {
    if (value === undefined) return fallback
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) throw new Error(`${key}: expected an integer from ${min} to ${max}, got ${JSON.stringify(value)}`)
    return value
  }
  return {
    baseUrl: o.baseUrl.replace(/\/+$/, ''),
    ...(o.apiKey !== undefined && { apiKey: o.apiKey }),
    model: o.model,
    contextSize: int('contextSize', o.contextSize, 4096, 256, 10_000_000),
    slots: int('slots', o.slots, 4, 1, 1024)
  }
}
