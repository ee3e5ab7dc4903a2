/**
 * A conversation's KV cache saved to disk: llama.cpp's sequence state (`<id>.kvstate`, written by
 * node-llama-cpp's saveStateToFile) and beside it our own description (`<id>.json`): which model
 * file (its SHA-256) and which llama.cpp build wrote it, how many tokens it holds, and the state
 * file's own size and SHA-256.
 *
 * llama.cpp trusts a state file: one written by another model can crash the process when loaded.
 * So nothing is loaded unless its description names this model and this build and the bytes on
 * disk hash to what was written; anything else is refused (and the request evaluates its whole
 * prompt, which is slower, never wrong).
 */
import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { mkdir, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { MAX_KV_META_BYTES } from './constants.ts'

/** Bumped when the description's fields change meaning. */
export const KV_STATE_FORMAT = 1
const STATE_SUFFIX = '.kvstate'
const META_SUFFIX = '.json'
const HEX64 = /^[0-9a-f]{64}$/

/** What a saved state must match to be loaded. */
export interface KvStateIdentity {
  /** SHA-256 of the GGUF file, hex. */
  readonly modelSha256: string
  /** The llama.cpp release and node-llama-cpp version that wrote it. */
  readonly build: string
}

export interface KvStateMeta extends KvStateIdentity {
  readonly format: number
  /** Tokens in the saved sequence. */
  readonly tokens: number
  /** Size of the `.kvstate` file. */
  readonly bytes: number
  /** SHA-256 of the `.kvstate` file, hex. */
  readonly sha256: string
  /** ms since the epoch. */
  readonly savedAt: number
}

/** The file names of a cache key's saved state: the key hashed, so that any key is a safe name. */
export function kvStatePaths (dir: string, cacheKey: string): { readonly id: string, readonly state: string, readonly meta: string } {
  const id = createHash('sha256').update(cacheKey).digest('hex').slice(0, 40)
  return { id, state: join(dir, id + STATE_SUFFIX), meta: join(dir, id + META_SUFFIX) }
}

/** The id of a saved state's description file name, or undefined for any other file. */
export function kvStateIdOf (fileName: string): string | undefined {
  return fileName.endsWith(META_SUFFIX) && /^[0-9a-f]{40}\.json$/.test(fileName) ? fileName.slice(0, -META_SUFFIX.length) : undefined
}

export async function sha256File (path: string): Promise<string> {
  const hash = createHash('sha256')
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer)
  return hash.digest('hex')
}

/**
 * Saves through `save` (which writes llama.cpp's state to the path it is given) into temporary
 * files, then renames them into place, description last: a reader sees a whole state or none.
 */
export async function writeKvState (dir: string, cacheKey: string, identity: KvStateIdentity, tokens: number,
  save: (path: string) => Promise<void>): Promise<KvStateMeta> {
  const paths = kvStatePaths(dir, cacheKey)
  const tmp = `${paths.state}.${process.pid}-${Math.random().toString(36).slice(2)}.tmp`
  try {
    await save(tmp)
    const bytes = (await stat(tmp)).size
    const meta: KvStateMeta = { format: KV_STATE_FORMAT, ...identity, tokens, bytes, sha256: await sha256File(tmp), savedAt: Date.now() }
    // the old description goes first: for a moment there is no state, never a mismatched pair
    await rm(paths.meta, { force: true })
    await rename(tmp, paths.state)
    await writeFile(`${paths.meta}.tmp`, JSON.stringify(meta))
    await rename(`${paths.meta}.tmp`, paths.meta)
    return meta
  } finally {
    await rm(tmp, { force: true })
  }
}

/** Why a saved state may not be loaded, or its description when it may. */
export type KvStateCheck =
  | { readonly ok: true, readonly meta: KvStateMeta, readonly path: string }
  | { readonly ok: false, readonly reason: string | undefined }

/**
 * Checks a saved state before llama.cpp sees it: its description is whole and names this model
 * and build, it fits `contextSize`, and the state file's bytes hash to what was written.
 * `reason` undefined: there is no saved state for the key.
 */
export async function checkKvState (dir: string, cacheKey: string, identity: KvStateIdentity, contextSize: number): Promise<KvStateCheck> {
  const paths = kvStatePaths(dir, cacheKey)
  let text: string
  try {
    const info = await stat(paths.meta)
    if (info.size > MAX_KV_META_BYTES) return { ok: false, reason: `its description is ${info.size} bytes, not a state description` }
    text = await readFile(paths.meta, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { ok: false, reason: undefined }
    throw err
  }
  const meta = parseMeta(text)
  if (typeof meta === 'string') return { ok: false, reason: meta }
  if (meta.modelSha256 !== identity.modelSha256) return { ok: false, reason: `it was saved from another model file (sha256 ${meta.modelSha256.slice(0, 12)}…, this one is ${identity.modelSha256.slice(0, 12)}…)` }
  if (meta.build !== identity.build) return { ok: false, reason: `it was saved by another llama.cpp build (${meta.build}; this one is ${identity.build})` }
  if (meta.tokens >= contextSize) return { ok: false, reason: `it holds ${meta.tokens} tokens; this context holds ${contextSize}` }
  let size: number
  try {
    size = (await stat(paths.state)).size
  } catch {
    return { ok: false, reason: 'its state file is missing' }
  }
  if (size !== meta.bytes) return { ok: false, reason: `its state file is ${size} bytes, ${meta.bytes} were written` }
  if (await sha256File(paths.state) !== meta.sha256) return { ok: false, reason: 'its state file does not hash to what was written (damaged)' }
  return { ok: true, meta, path: paths.state }
}

export async function removeKvState (dir: string, cacheKey: string): Promise<void> {
  await removeKvStateById(dir, kvStatePaths(dir, cacheKey).id)
}

/** Removes a saved state by its id (the name its files share), description first. */
export async function removeKvStateById (dir: string, id: string): Promise<void> {
  await rm(join(dir, id + META_SUFFIX), { force: true })
  await rm(join(dir, id + STATE_SUFFIX), { force: true })
}

/**
 * The saved states in `dir`, least recently saved first, with the bytes each takes; removes what
 * is not a whole state (a temporary file left by a crash, a state without its description).
 */
export async function listKvStates (dir: string): Promise<Array<{ readonly id: string, readonly bytes: number, readonly savedAt: number }>> {
  let names: string[]
  try {
    names = await readdir(dir)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return []
    throw err
  }
  const states: Array<{ id: string, bytes: number, savedAt: number }> = []
  const whole = new Set<string>()
  for (const name of names) {
    const id = kvStateIdOf(name)
    if (id === undefined) continue
    try {
      const meta = parseMeta(await readFile(join(dir, name), 'utf8'))
      const size = (await stat(join(dir, id + STATE_SUFFIX))).size
      if (typeof meta === 'string' || size !== meta.bytes) continue
      whole.add(id)
      states.push({ id, bytes: size, savedAt: meta.savedAt })
    } catch {
      // unreadable or without its state: removed below
    }
  }
  for (const name of names) {
    if (name === MODEL_HASH_FILE) continue
    const id = name.slice(0, 40)
    if (!whole.has(id) || !(name === id + META_SUFFIX || name === id + STATE_SUFFIX)) await rm(join(dir, name), { force: true, recursive: true })
  }
  return states.sort((a, b) => a.savedAt - b.savedAt)
}

/** Where the model file's hash is kept, with the size and mtime it was computed for. */
const MODEL_HASH_FILE = 'model-sha256.json'

/**
 * The SHA-256 of a model file, computed once per version of the file (its size and mtime, which
 * the model registry also trusts) and kept in `dir`: hashing a multi-GiB model at every load would
 * cost seconds.
 */
export async function modelSha256 (dir: string, modelFile: string): Promise<string> {
  const info = await stat(modelFile)
  const kept = join(dir, MODEL_HASH_FILE)
  try {
    const known = JSON.parse(await readFile(kept, 'utf8')) as { file?: unknown, size?: unknown, mtimeMs?: unknown, sha256?: unknown }
    if (known.file === modelFile && known.size === info.size && known.mtimeMs === info.mtimeMs && typeof known.sha256 === 'string' && HEX64.test(known.sha256)) return known.sha256
  } catch {
    // none yet, or not readable: computed again
  }
  const sha256 = await sha256File(modelFile)
  await mkdir(dir, { recursive: true })
  await writeFile(`${kept}.tmp`, JSON.stringify({ file: modelFile, size: info.size, mtimeMs: info.mtimeMs, sha256 }))
  await rename(`${kept}.tmp`, kept)
  return sha256
}

/** A description as read from disk, or why it is not one. */
export function parseMeta (text: string): KvStateMeta | string {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return 'its description is not JSON'
  }
  if (typeof value !== 'object' || value === null) return 'its description is not an object'
  const m = value as Record<string, unknown>
  if (m.format !== KV_STATE_FORMAT) return `its description has format ${String(m.format).slice(0, 20)}, this node reads ${KV_STATE_FORMAT}`
  if (typeof m.modelSha256 !== 'string' || !HEX64.test(m.modelSha256)) return 'its description has no model hash'
  if (typeof m.sha256 !== 'string' || !HEX64.test(m.sha256)) return 'its description has no state hash'
  if (typeof m.build !== 'string' || m.build.length > 200) return 'its description has no build'
  for (const field of ['tokens', 'bytes', 'savedAt'] as const) {
    if (!Number.isSafeInteger(m[field]) || (m[field] as number) < 0) return `its description's ${field} is not a count`
  }
  return m as unknown as KvStateMeta
}
