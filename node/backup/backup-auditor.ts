import { randomInt } from 'node:crypto'
import { PeriodicService } from '../services/index.ts'
import { BackupContext } from './backup-context.ts'
import { ChunkMender } from './chunk-mender.ts'
import { AUDIT_SAMPLE } from './constants.ts'
import type { ManifestChunk } from './manifest.ts'

/**
 * Audits the newest backup of this node's key: a sample of its chunks drawn at random, each read
 * from one holder and challenged on the others, and what is missing or damaged put back (a verify
 * on a sample). `start` runs it every `auditMs` as a supervised service (`backup-audit`).
 */
export class BackupAuditor {
  readonly #ctx: BackupContext
  readonly #mender: ChunkMender
  #service: PeriodicService | undefined

  constructor (ctx: BackupContext) {
    this.#ctx = ctx
    this.#mender = new ChunkMender(ctx.holders)
  }

  /** Audits every `auditMs` (first after one interval), when this node holds the key and an
   * interval is set; idempotent. */
  start (): void {
    const every = this.#ctx.opts.auditMs
    if (every === undefined || this.#ctx.opts.key === undefined || this.#service !== undefined) return
    this.#service = new PeriodicService({ name: 'backup-audit', run: async () => await this.audit(), intervalMs: every, failures: this.#ctx.failures, log: this.#ctx.serviceLog })
    this.#service.start()
  }

  async stop (): Promise<void> {
    await this.#service?.stop()
  }

  /**
   * One audit of `sample` chunks. Counted in the metrics; what could not be mended is logged.
   * Resolves with what it found.
   */
  async audit (sample = AUDIT_SAMPLE): Promise<{ checked: number, repaired: number, unmended: number }> {
    const key = this.#ctx.requireKey()
    const latest = BackupContext.latestOf(await this.#ctx.catalog.list(), key)
    if (latest === undefined || this.#ctx.holders.empty) return { checked: 0, repaired: 0, unmended: 0 }
    const manifest = await this.#ctx.manifest(latest.id)
    const chunks = [...new Map(manifest.partitions.flatMap((p) => p.chunks.map((c) => [c.id, c] as const))).values()]
    // a partial Fisher-Yates shuffle: `sample` distinct chunks, each as likely as any other
    for (let i = 0; i < Math.min(sample, chunks.length); i++) {
      const j = i + randomInt(chunks.length - i)
      ;[chunks[i], chunks[j]] = [chunks[j] as ManifestChunk, chunks[i] as ManifestChunk]
    }
    let repaired = 0
    let unmended = 0
    const picked = chunks.slice(0, sample)
    const log = this.#ctx.opts.log
    for (const chunk of picked) {
      const result = await this.#mender.check(chunk)
      repaired += result.repaired
      if (result.unmended) {
        unmended++
        log?.warn({ backup: latest.id, chunk: chunk.id }, `backup audit: chunk ${chunk.id} of ${latest.id} is not whole on every holder: ${result.found.join('; ')}`)
      }
    }
    this.#ctx.stats.audits++
    this.#ctx.stats.repairs += repaired
    this.#ctx.stats.unmended += unmended
    if (repaired > 0) log?.info({ backup: latest.id, repaired }, `backup audit: ${repaired} missing or damaged chunk cop${repaired === 1 ? 'y' : 'ies'} of ${latest.id} put back`)
    return { checked: picked.length, repaired, unmended }
  }
}
