import type { JobControl } from '../jobs/index.ts'
import type { BackupContext } from './backup-context.ts'
import { ChunkMender } from './chunk-mender.ts'
import type { BadCopy, ChunkCheck } from './chunk-mender.ts'
import { CHECK_BATCH_BYTES, JOB_LEFT_SHOWN, MAX_CHECK_CHUNKS, JOB_WHY_CHARS, VERIFY_CONCURRENCY, VERIFY_PROGRESS_EVERY } from './constants.ts'
import { BackupHolderError } from './errors.ts'
import { manifestRoot } from './manifest.ts'
import type { ManifestChunk } from './manifest.ts'
import { pushTo } from './push-to.ts'

/** What a verify found so far. */
interface Tally {
  readonly problems: Array<{ item: string, why: string }>
  checked: number
  failed: number
  repaired: number
}

/**
 * Checks a backup, as a `verify` job: every chunk's copy on every holder that should keep it,
 * against the manifest's digests (and so its Merkle root), and puts back what is missing or
 * damaged from a whole copy. `full`: each chunk is read here once and every other copy proven by a
 * challenge of a fresh nonce (ChunkMender.check); otherwise every holder re-reads the copies it
 * should keep and says which are not whole, and only those are looked at here.
 */
export class BackupVerifier {
  readonly #ctx: BackupContext
  readonly #mender: ChunkMender

  constructor (ctx: BackupContext) {
    this.#ctx = ctx
    this.#mender = new ChunkMender(ctx.holders)
  }

  /** Verifies backup `id`; resolves with the job's message, or throws when a chunk is left not whole. */
  async verify (control: JobControl, id: string, full: boolean): Promise<string> {
    const manifest = await this.#ctx.manifest(id, true)
    const unique = [...new Map(manifest.partitions.flatMap((p) => p.chunks).map((c) => [c.id, c])).values()]
    control.progress({ total: unique.length, done: 0, message: `checking ${unique.length} chunks${full ? ', every copy read whole here or proven by a challenge' : ', each holder re-reading its copies'}` })
    const tally: Tally = { problems: [], checked: 0, failed: 0, repaired: 0 }
    const report = (): void => { control.progress({ done: tally.checked, failed: tally.failed, left: tally.problems.slice(0, JOB_LEFT_SHOWN) }) }
    if (full) await this.#readAndChallenge(control, unique, tally, report)
    else await this.#holdersReread(control, unique, tally, report)
    tally.checked = unique.length
    report()
    const { problems, failed, repaired } = tally
    const how = full ? 'one copy read here and checked against the manifest, every other proven the same by a challenge of a fresh nonce' : 'each holder re-read its copies and checked them against the manifest\'s digests'
    if (failed > 0) throw new BackupHolderError(`backup ${id}: ${failed} of ${unique.length} chunks are not whole on every holder that should keep them, and could not be mended (first: ${problems[0]?.item}: ${problems[0]?.why})`)
    if (repaired > 0) return `backup ${id}: ${repaired} missing or damaged cop${repaired === 1 ? 'y' : 'ies'} of its ${unique.length} chunks put back from whole ones (listed in left); every copy is whole now (${how})`
    return `backup ${id}: every copy of its ${unique.length} chunks is whole (${how}); root ${manifestRoot(manifest).slice(0, 16)}`
  }

  /** Adds what checking one chunk found to the tally and the metrics. */
  #add (tally: Tally, chunk: ManifestChunk, result: ChunkCheck): void {
    if (result.found.length > 0) tally.problems.push({ item: chunk.id, why: result.found.join('; ').slice(0, JOB_WHY_CHARS) })
    if (result.unmended) tally.failed++
    tally.repaired += result.repaired
    this.#ctx.stats.repairs += result.repaired
    if (result.unmended) this.#ctx.stats.unmended++
  }

  /** `full`: several chunks at once, each a read here and a challenge on every other holder. */
  async #readAndChallenge (control: JobControl, unique: readonly ManifestChunk[], tally: Tally, report: () => void): Promise<void> {
    let next = 0
    await Promise.all(Array.from({ length: Math.min(VERIFY_CONCURRENCY, unique.length) }, async () => {
      while (next < unique.length) {
        control.signal.throwIfAborted()
        const chunk = unique[next++] as ManifestChunk
        this.#add(tally, chunk, await this.#mender.check(chunk))
        if (++tally.checked % VERIFY_PROGRESS_EVERY === 0) report()
      }
    }))
  }

  /** Every holder re-reads the copies it should keep, all holders at once; what one finds missing
   * or damaged (or could not say) is looked at here and mended. */
  async #holdersReread (control: JobControl, unique: readonly ManifestChunk[], tally: Tally, report: () => void): Promise<void> {
    const byHolder = new Map<string, ManifestChunk[]>()
    for (const chunk of unique) for (const node of this.#ctx.holders.rank(chunk.id)) pushTo(byHolder, node, chunk)
    const bad = new Map<string, BadCopy[]>()
    await Promise.all([...byHolder].map(async ([node, list]) => { await this.#askHolder(control, node, list, bad) }))
    for (const chunk of unique) {
      const copies = bad.get(chunk.id)
      if (copies === undefined) {
        tally.checked++
        continue
      }
      control.signal.throwIfAborted()
      const whole = this.#ctx.holders.rank(chunk.id).filter((n) => !copies.some((b) => b.node === n))
      this.#add(tally, chunk, await this.#mender.mend(chunk, copies, undefined, whole))
      if (++tally.checked % VERIFY_PROGRESS_EVERY === 0) report()
    }
  }

  /** One holder re-reads `list`, in check asks of at most CHECK_BATCH_BYTES; what is not whole goes to `bad`. */
  async #askHolder (control: JobControl, node: string, list: readonly ManifestChunk[], bad: Map<string, BadCopy[]>): Promise<void> {
    for (let i = 0; i < list.length;) {
      control.signal.throwIfAborted()
      const batch: ManifestChunk[] = []
      let bytes = 0
      while (i < list.length && batch.length < MAX_CHECK_CHUNKS && (batch.length === 0 || bytes + (list[i] as ManifestChunk).size <= CHECK_BATCH_BYTES)) {
        bytes += (list[i] as ManifestChunk).size
        batch.push(list[i++] as ManifestChunk)
      }
      // a holder that does not answer is not whole, as far as this verify can tell: each of its
      // chunks is listed as unreachable there (and left unmended)
      const answers = await this.#ctx.holders.client(node).check(batch.map((c) => ({ id: c.id, digest: c.digest }))).catch((err: unknown) => err as Error)
      batch.forEach((chunk, j) => {
        const answer = answers instanceof Error ? answers : answers[j]
        if (answer === 'ok') return
        const why = answer instanceof Error ? `unreachable (${answer.message})` : answer === 'missing' ? 'missing' : 'damaged (its holder found its bytes changed)'
        pushTo(bad, chunk.id, { node, why, mendable: !(answer instanceof Error), damaged: answer === 'damaged' })
      })
    }
  }
}
