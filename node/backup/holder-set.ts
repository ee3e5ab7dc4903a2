import type { ActorSystem, ManifestRef } from '../../actors/index.ts'
import { rendezvousRanking } from '../mesh/index.ts'
import type { Candidate } from '../mesh/index.ts'
import { ciphertextDigest } from './chunk-crypto.ts'
import { holderAt } from './chunk-holder.ts'
import type { ChunkHolderClient } from './chunk-holder.ts'
import { BackupHolderError } from './errors.ts'

export interface HolderSetOptions {
  readonly system: ActorSystem
  /** This node's peer id (its own copy is read without the network). */
  readonly self: string
  /** The members up that hold the backup role now. */
  readonly holders: () => readonly Candidate[]
  /** Copies of every chunk, on distinct holders (fewer while fewer hold the role). */
  readonly copies: number
  /** Which holder to ask on a node (tests pass their own). @default holderAt */
  readonly holder?: (node: string) => ChunkHolderClient
}

/**
 * The backup holders as this node's backup jobs see them: which of them should keep a chunk (the
 * first `copies` of its rendezvous ranking by id), each one's client, and the reads and removes of
 * a sealed blob (a manifest, a checkpoint) that any of them may serve.
 */
export class HolderSet {
  readonly #opts: HolderSetOptions

  constructor (opts: HolderSetOptions) {
    this.#opts = opts
  }

  /** The peer ids of every backup holder up now. */
  all (): string[] {
    return this.#opts.holders().map((c) => c.peerId)
  }

  /** Whether any member holds the backup role now. */
  get empty (): boolean {
    return this.#opts.holders().length === 0
  }

  /** The backup holder on `node`. */
  client (node: string): ChunkHolderClient {
    return this.#opts.holder?.(node) ?? holderAt(this.#opts.system, node)
  }

  /** Copies each chunk gets now: `copies`, or fewer while fewer members hold the role (at least 1). */
  copies (): number {
    return Math.max(1, Math.min(this.#opts.copies, this.#opts.holders().length))
  }

  /** The holders that should keep a chunk, most preferred first. */
  rank (id: string): string[] {
    return rendezvousRanking(`chunk/${id}`, this.#opts.holders(), this.copies())
  }

  /** `nodes` with this node first when it is one of them (its copy is read without the network). */
  localFirst (nodes: readonly string[]): string[] {
    const self = this.#opts.self
    return nodes.includes(self) ? [self, ...nodes.filter((n) => n !== self)] : [...nodes]
  }

  /** A sealed blob from the first of `holders` (then of its ranking) that serves it whole. */
  async fetch (id: string, digest: string, holders: readonly string[]): Promise<Uint8Array> {
    const reasons: string[] = []
    for (const node of this.localFirst([...holders, ...this.rank(id).filter((n) => !holders.includes(n))])) {
      try {
        const copy = await this.client(node).get(id)
        if (copy !== null && ciphertextDigest(copy) === digest) return copy
        reasons.push(`${node}: ${copy === null ? 'missing' : 'damaged'}`)
      } catch (err) {
        reasons.push(`${node}: ${(err as Error).message}`)
      }
    }
    throw new BackupHolderError(`no holder serves ${id} whole (${reasons.join('; ')})`)
  }

  /** Removes a sealed blob (a checkpoint no longer needed) from the holders that took it. */
  async drop (ref: ManifestRef): Promise<void> {
    // a holder that cannot be reached keeps it: it names nothing a restore reads, and a sweep
    // removes it later, so its failure is no failure of the job that drops it
    await Promise.all(ref.holders.map(async (node) => { await this.client(node).remove([ref.digest]).catch(() => undefined) }))
  }
}
