import { createHash } from 'node:crypto'
import { PLUGIN_PACKAGE, chunkCount, chunkLength, PACKAGE_CHUNK_BYTES } from '../../actors/index.ts'
import type { ActorSystem, PackageInfo } from '../../actors/index.ts'
import { MAX_PACKAGE_BYTES } from '../../protocols/plugins/index.ts'
import { CATALOG_ASK_MS, PACKAGE_CHUNKS_IN_FLIGHT } from './constants.ts'
import { InvalidPluginPackageError, PluginDigestMismatchError } from './errors.ts'

/** SHA-256 of `bytes`, in hex: a package's digest, and the key of its entity. */
export function packageDigest (bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex')
}

/**
 * Packages' bytes in the registry (`plugin-package/<digest>` entities, actors/entities): stored in
 * chunks (a few in flight) and sealed, which reads every chunk back and checks the whole against
 * the digest; fetched chunk by chunk and checked again by the member that runs it.
 */
export class PackageStore {
  readonly #system: ActorSystem
  /** Bytes read from the registry, in all (plexi_plugin_fetched_bytes_total). */
  fetchedBytes = 0

  constructor (system: ActorSystem) {
    this.#system = system
  }

  /** Stores a package (again: a sealed one is answered at once); resolves once it is sealed. */
  async store (bytes: Uint8Array, signal?: AbortSignal): Promise<PackageInfo> {
    const size = bytes.byteLength
    if (size === 0 || size > MAX_PACKAGE_BYTES) throw new InvalidPluginPackageError(`a package is 1 to ${MAX_PACKAGE_BYTES} bytes, not ${size}`)
    const digest = packageDigest(bytes)
    const count = chunkCount(size)
    const info = await this.#ask<PackageInfo>(digest, (replyTo) => ({ type: 'info', replyTo }), signal)
    if (info.sealed && info.size === size) return info
    await inBatches(count, async (index) => {
      const at = index * PACKAGE_CHUNK_BYTES
      const chunk = bytes.subarray(at, at + chunkLength(size, index))
      await this.#ask<number>(digest, (replyTo) => ({ type: 'put', index, count, size, bytes: chunk, replyTo }), signal)
    })
    return await this.#ask<PackageInfo>(digest, (replyTo) => ({ type: 'seal', count, size, replyTo }), signal)
  }

  /** A sealed package's bytes, checked against its digest and size (PluginDigestMismatchError
   * otherwise: nothing of them may be used). */
  async fetch (digest: string, size: number, signal?: AbortSignal): Promise<Buffer> {
    const count = chunkCount(size)
    const chunks = new Array<Uint8Array>(count)
    await inBatches(count, async (index) => {
      chunks[index] = await this.#ask<Uint8Array>(digest, (replyTo) => ({ type: 'read', index, replyTo }), signal)
    })
    const bytes = Buffer.concat(chunks)
    this.fetchedBytes += bytes.byteLength
    const got = packageDigest(bytes)
    if (got !== digest || bytes.byteLength !== size) {
      throw new PluginDigestMismatchError(`package ${digest} read back as ${bytes.byteLength} bytes hashing to ${got}: not the package installed (expected ${size} bytes)`)
    }
    return bytes
  }

  async #ask<T> (digest: string, msg: (replyTo: never) => unknown, signal?: AbortSignal): Promise<T> {
    return await this.#system.entity(PLUGIN_PACKAGE, digest).ask<T>(msg as never, { timeout: CATALOG_ASK_MS, ...(signal !== undefined && { signal }) })
  }
}

/** Runs `task` for 0 to count-1, PACKAGE_CHUNKS_IN_FLIGHT at a time; the first failure stops it. */
async function inBatches (count: number, task: (index: number) => Promise<void>): Promise<void> {
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < count) await task(next++)
  }
  await Promise.all(Array.from({ length: Math.min(PACKAGE_CHUNKS_IN_FLIGHT, count) }, worker))
}
