import { createHash, randomBytes } from 'node:crypto'
import { ciphertextDigest } from './chunk-crypto.ts'
import type { HolderSet } from './holder-set.ts'
import type { ManifestChunk } from './manifest.ts'

/** A copy of a chunk found not whole on a holder. */
export interface BadCopy {
  readonly node: string
  /** What is wrong, as an operator reads it. */
  readonly why: string
  /** Whether a whole copy may be put there (not when the holder could not be reached). */
  readonly mendable: boolean
  /** Whether the holder keeps a damaged copy (removed before the whole one is put). */
  readonly damaged: boolean
}

/** What checking (or mending) one chunk found: each copy not whole, with how it ended. */
export interface ChunkCheck {
  readonly found: string[]
  /** Whether a copy is left not whole (lost, unreachable, or not put back). */
  readonly unmended: boolean
  /** Copies put back. */
  readonly repaired: number
}

/** A whole copy of a chunk, and the holder it was read from. */
interface WholeCopy {
  readonly node: string
  readonly copy: Uint8Array
}

/**
 * Checks a chunk's copies on the holders that should keep it and puts back what is missing or
 * damaged from a whole copy (a verify does so for every chunk, an audit for a sample). No key is
 * needed: a copy is whole when its bytes hash to the manifest's digest.
 */
export class ChunkMender {
  readonly #holders: HolderSet

  constructor (holders: HolderSet) {
    this.#holders = holders
  }

  /**
   * Checks one chunk and repairs what it can: one copy is read here (this node's own when it keeps
   * one) and its SHA-256 checked against the manifest's digest; every other holder answers a
   * challenge of a fresh nonce (SHA-256(nonce ‖ copy): only a holder of the whole copy can answer
   * it). A copy missing or damaged is put back (mend).
   */
  async check (chunk: ManifestChunk): Promise<ChunkCheck> {
    const bad: BadCopy[] = []
    let read: WholeCopy | undefined
    const holders = this.#holders.localFirst(this.#holders.rank(chunk.id))
    for (const node of holders) {
      if (read !== undefined) break
      read = await this.#readCopy(chunk, node, bad)
    }
    if (read !== undefined) {
      const nonce = randomBytes(32)
      const expected = createHash('sha256').update(nonce).update(read.copy).digest('hex')
      const asked = new Set([read.node, ...bad.map((b) => b.node)])
      await Promise.all(holders.filter((n) => !asked.has(n)).map(async (node) => {
        try {
          const answer = await this.#holders.client(node).challenge(chunk.id, nonce)
          if (answer !== expected) bad.push({ node, why: answer === null ? 'missing' : 'damaged (it answered the challenge wrongly)', mendable: true, damaged: answer !== null })
        } catch (err) {
          bad.push(unreadable(node, err))
        }
      }))
    }
    return await this.mend(chunk, bad, read, [])
  }

  /**
   * Puts back the copies in `bad` from `read`, or from a whole copy found on `whole` first, then on
   * any other backup holder (a damaged copy is removed first). Returns what was found, each with how
   * it ended, and whether anything is left unmended.
   */
  async mend (chunk: ManifestChunk, bad: readonly BadCopy[], read: WholeCopy | undefined, whole: readonly string[]): Promise<ChunkCheck> {
    if (bad.length === 0) return { found: [], unmended: false, repaired: 0 }
    const tried = new Set(bad.map((b) => b.node))
    for (const node of this.#holders.localFirst([...whole, ...this.#holders.all().filter((n) => !whole.includes(n))])) {
      if (read !== undefined) break
      if (tried.has(node)) continue
      tried.add(node)
      read = await this.#readCopy(chunk, node, undefined)
    }
    if (read === undefined) return { found: [`no whole copy on any holder: lost (${bad.map((b) => `${b.node}: ${b.why}`).join('; ') || 'no holder'})`], unmended: true, repaired: 0 }
    const found: string[] = []
    let unmended = false
    let repaired = 0
    for (const b of bad) {
      if (!b.mendable) {
        found.push(`${b.node}: ${b.why}`)
        unmended = true
        continue
      }
      try {
        if (b.damaged) await this.#holders.client(b.node).remove([chunk.id])
        await this.#holders.client(b.node).put([{ id: chunk.id, digest: chunk.digest, sealed: read.copy }])
        found.push(`${b.node}: ${b.why}; put back from ${read.node}`)
        repaired++
      } catch (err) {
        found.push(`${b.node}: ${b.why}; could not be put back (${(err as Error).message})`)
        unmended = true
      }
    }
    return { found, unmended, repaired }
  }

  /** A copy of the chunk read from `node` when it is whole; otherwise what is wrong is added to `bad`. */
  async #readCopy (chunk: ManifestChunk, node: string, bad: BadCopy[] | undefined): Promise<WholeCopy | undefined> {
    try {
      const copy = await this.#holders.client(node).get(chunk.id)
      if (copy !== null && ciphertextDigest(copy) === chunk.digest) return { node, copy }
      bad?.push({ node, why: copy === null ? 'missing' : 'damaged (its bytes do not hash to the manifest\'s digest)', mendable: true, damaged: copy !== null })
    } catch (err) {
      bad?.push(unreadable(node, err))
    }
    return undefined
  }
}

/** A holder whose copy could not be read: damaged (its store says so: mendable), or unreachable. */
function unreadable (node: string, err: unknown): BadCopy {
  const damaged = (err as Error).name === 'ChunkDamagedError'
  return { node, why: damaged ? 'damaged (its store found its bytes changed)' : `unreachable (${(err as Error).message})`, mendable: damaged, damaged }
}
