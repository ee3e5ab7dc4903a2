import { MAX_PACKAGE_BYTES } from '../../protocols/plugins/index.ts'
import { entityTypeKey } from '../kernel/index.ts'
import type { ReplyTo } from '../kernel/index.ts'
import { MessageCheck } from './message-check.ts'

/** A package's bytes as stored so far. */
export interface PackageInfo {
  /** SHA-256 (hex) of the whole package: the entity's key. */
  readonly digest: string
  readonly size: number
  /** Chunks it is cut into, and how many of them are stored. */
  readonly count: number
  readonly stored: number
  /** Every chunk is stored and the whole was read back and matched the digest. */
  readonly sealed: boolean
}

export type PluginPackageMsg =
  /** Stores chunk `index` of `count` (every chunk PACKAGE_CHUNK_BYTES but the last) of a package of
   * `size` bytes; replies with the chunks stored so far. A chunk stored again replaces the one
   * before until the package is sealed; after that it is acknowledged and changes nothing. */
  | { readonly type: 'put', readonly index: number, readonly count: number, readonly size: number, readonly bytes: Uint8Array, readonly replyTo: ReplyTo<number> }
  /** Reads every chunk back and checks the whole against the digest (the key) and `size`:
   * answered once it is sealed, refused (PluginPackageError) when a chunk is missing or it does
   * not match. */
  | { readonly type: 'seal', readonly count: number, readonly size: number, readonly replyTo: ReplyTo<PackageInfo> }
  /** Chunk `index` of a sealed package (PluginPackageMissingError before it is sealed). */
  | { readonly type: 'read', readonly index: number, readonly replyTo: ReplyTo<Uint8Array> }
  | { readonly type: 'info', readonly replyTo: ReplyTo<PackageInfo> }

export type PluginPackageEvent =
  | { readonly type: 'chunk-stored', readonly index: number, readonly count: number, readonly size: number, readonly bytes: Uint8Array }
  | { readonly type: 'package-sealed' }

export interface PluginPackageState {
  readonly size: number
  readonly count: number
  /** By chunk index: the seq of the event that holds its bytes (0: not stored). The bytes stay
   * in the journal, read back when asked, never in the state (snapshots stay small). */
  readonly chunks: readonly number[]
  readonly sealed: boolean
}

/** A plugin package's bytes, `plugin-package/<SHA-256 hex>`: on a plugins-role member, journaled
 * in chunks (each one record) and replicated like any journal. */
export const PLUGIN_PACKAGE = entityTypeKey<PluginPackageMsg>('plugin-package')
/** A chunk's bytes: one journal record each, well within a record's limits (a chat post may be
 * 1 MiB) and the mesh's frames (4 MiB) with several in flight. */
export const PACKAGE_CHUNK_BYTES = 256 * 1024
/** Chunks of the largest package. */
export const MAX_PACKAGE_CHUNKS = Math.ceil(MAX_PACKAGE_BYTES / PACKAGE_CHUNK_BYTES)

const FIELD_CHECKS: { readonly [T in PluginPackageMsg['type']]: (m: MessageCheck) => void } = {
  put (m) {
    const size = m.integer('size', 1, MAX_PACKAGE_BYTES)
    const count = m.integer('count', 1, MAX_PACKAGE_CHUNKS)
    if (count !== chunkCount(size)) m.refuse('count', `${chunkCount(size)} chunks for ${size} bytes`)
    const index = m.integer('index', 0, count - 1)
    const bytes = m.raw('bytes')
    if (!(bytes instanceof Uint8Array)) return m.refuse('bytes', 'bytes')
    const expected = chunkLength(size, index)
    if (bytes.byteLength !== expected) m.refuse('bytes', `${expected} bytes (chunk ${index} of a package of ${size})`)
    m.replyTo()
  },
  seal (m) {
    const size = m.integer('size', 1, MAX_PACKAGE_BYTES)
    const count = m.integer('count', 1, MAX_PACKAGE_CHUNKS)
    if (count !== chunkCount(size)) m.refuse('count', `${chunkCount(size)} chunks for ${size} bytes`)
    m.replyTo()
  },
  read (m) {
    m.integer('index', 0, MAX_PACKAGE_CHUNKS - 1)
    m.replyTo()
  },
  info (m) { m.replyTo() }
}

const PLUGIN_PACKAGE_MSG_TYPES = Object.keys(FIELD_CHECKS)

/** The package entity's EntityType.check: chunk places and lengths that fit the package's size. */
export function checkPluginPackageMsg (msg: unknown): void {
  const m = new MessageCheck(msg, 'plugin package message')
  if (!Object.hasOwn(FIELD_CHECKS, m.type)) m.unknownType(PLUGIN_PACKAGE_MSG_TYPES)
  FIELD_CHECKS[m.type as PluginPackageMsg['type']](m)
}

/** Chunks a package of `size` bytes is cut into. */
export function chunkCount (size: number): number {
  return Math.ceil(size / PACKAGE_CHUNK_BYTES)
}

/** The length of chunk `index` of a package of `size` bytes. */
export function chunkLength (size: number, index: number): number {
  return Math.min(PACKAGE_CHUNK_BYTES, size - index * PACKAGE_CHUNK_BYTES)
}
