import type { BackupContext } from './backup-context.ts'
import { MAX_HOLDER_IDS } from './constants.ts'
import { BackupBusyError, BackupKeyMismatchError } from './errors.ts'

/**
 * Removes backups: the chunks no other backup of the same key names are removed from every holder
 * (chunk ids are keyed, so another key's backups never name them), then its manifest, then its
 * catalog entry, under the catalog's lock.
 */
export class BackupRemover {
  readonly #ctx: BackupContext

  constructor (ctx: BackupContext) {
    this.#ctx = ctx
  }

  /**
   * Removes a backup. Refused while a backup runs (it may be naming these chunks as stored). A
   * failed backup has no manifest: only its entry goes (the chunks it stored stay until a backup
   * that names them is removed, or a sweep). `fromRunningBackup`: asked by the backup that prunes
   * after itself (patient, as its job's asks are). Resolves with the chunks removed.
   */
  async remove (id: string, fromRunningBackup = false): Promise<{ chunks: number, bytes: number }> {
    return await this.#ctx.lock.run(fromRunningBackup, async () => await this.#remove(id, fromRunningBackup))
  }

  async #remove (id: string, patient: boolean): Promise<{ chunks: number, bytes: number }> {
    const { catalog, holders } = this.#ctx
    const entry = await catalog.get(id, patient)
    const all = await catalog.list(patient)
    // the backup that prunes after itself is done already: only another one running holds it back
    // (one whose node died, or that this node's stop ended, runs no more)
    const running = all.find((b) => b.id !== id && this.#ctx.stillRunning(b))
    if (running !== undefined || this.#ctx.stillRunning(entry)) throw new BackupBusyError(`backup ${running?.id ?? id} is running: remove backups once it has ended`)
    let removed = { chunks: 0, bytes: 0 }
    if (entry.state === 'done' && entry.manifest !== null) {
      const key = this.#ctx.requireKey()
      if (entry.keyFingerprint !== key.fingerprint) throw new BackupKeyMismatchError(id, entry.keyFingerprint, key.fingerprint)
      const doomed = new Map((await this.#ctx.manifest(id)).partitions.flatMap((p) => p.chunks.map((c) => [c.id, c.size] as const)))
      for (const other of all.filter((b) => b.id !== id && b.state === 'done' && b.keyFingerprint === key.fingerprint)) {
        for (const p of (await this.#ctx.manifest(other.id)).partitions) for (const c of p.chunks) doomed.delete(c.id)
      }
      const ids = [...doomed.keys(), entry.manifest.digest]
      // every holder: copies may sit beyond their ranking (a holder passed over, a member since gone)
      for (const node of holders.all()) {
        for (let i = 0; i < ids.length; i += MAX_HOLDER_IDS) await holders.client(node).remove(ids.slice(i, i + MAX_HOLDER_IDS))
      }
      removed = { chunks: doomed.size, bytes: [...doomed.values()].reduce((n, s) => n + s, 0) }
    }
    if (entry.checkpoint != null) await holders.drop(entry.checkpoint)
    await catalog.ask({ type: 'remove', id })
    return removed
  }
}
