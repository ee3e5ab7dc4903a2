import type { BackupEntry } from '../../actors/index.ts'
import type { JobControl } from '../jobs/index.ts'
import type { BackupContext } from './backup-context.ts'
import type { BackupKey } from './backup-key.ts'
import { JOB_WHY_CHARS, MAX_HOLDER_IDS } from './constants.ts'
import { BackupBusyError } from './errors.ts'
import { openManifest } from './manifest.ts'

/**
 * Removes orphan chunks, as a `sweep` job: what holders keep that no backup names (the chunks a
 * failed backup stored, a checkpoint left behind). Named are the chunks and manifests of every
 * done backup, and the chunks and checkpoint of a backup that may still be resumed. Under the
 * catalog's lock, and refused while a backup runs, or while backups of another key exist (their
 * chunks cannot be told from orphans without that key).
 */
export class BackupSweeper {
  readonly #ctx: BackupContext

  constructor (ctx: BackupContext) {
    this.#ctx = ctx
  }

  /** Sweeps every holder (`dryRun`: counts, removes nothing); resolves with the job's message. */
  async sweep (control: JobControl, key: BackupKey, dryRun: boolean): Promise<string> {
    return await this.#ctx.lock.run(true, async () => await this.#sweep(control, key, dryRun))
  }

  async #sweep (control: JobControl, key: BackupKey, dryRun: boolean): Promise<string> {
    const all = await this.#ctx.catalog.list(true)
    const running = all.find((b) => this.#ctx.stillRunning(b))
    if (running !== undefined) throw new BackupBusyError(`backup ${running.id} is running: sweep once it has ended`)
    // a done backup of another key, or one of another key its node may still resume
    const foreign = all.find((b) => b.state !== 'failed' && b.keyFingerprint !== key.fingerprint)
    if (foreign !== undefined) throw new BackupBusyError(`backup ${foreign.id} was made with backup key ${foreign.keyFingerprint}, not this node's ${key.fingerprint}: its chunks cannot be told from orphans without its key (remove the backups of other keys first)`)
    control.progress({ message: `reading the manifests of ${all.filter((b) => b.state === 'done').length} backups` })
    const named = await this.#named(all, key)
    const holders = this.#ctx.holders.all()
    control.progress({ total: holders.length, done: 0, message: `${named.size} chunks named; listing ${holders.length} holders` })
    let orphans = 0
    const unreachable: Array<{ item: string, why: string }> = []
    for (const [i, node] of holders.entries()) {
      try {
        await this.#sweepHolder(control, node, named, dryRun, (n) => { orphans += n })
      } catch (err) {
        if ((err as Error).name === 'AbortError') throw err
        unreachable.push({ item: node, why: `not swept: ${(err as Error).message}`.slice(0, JOB_WHY_CHARS) })
      }
      control.progress({ done: i + 1, left: unreachable })
    }
    const swept = holders.length - unreachable.length
    const what = `${orphans} orphan chunk${orphans === 1 ? '' : 's'} on ${swept} holder${swept === 1 ? '' : 's'}`
    return `${dryRun ? `dry run: ${what} would be removed; nothing was` : `${what} removed`}${unreachable.length > 0 ? `; ${unreachable.length} holder(s) not swept (listed in left)` : ''}`
  }

  /** Every chunk and manifest a backup names, or may name once resumed. */
  async #named (all: readonly BackupEntry[], key: BackupKey): Promise<Set<string>> {
    const named = new Set<string>()
    for (const b of all) {
      if (b.state === 'done' && b.manifest !== null) {
        named.add(b.manifest.digest)
        for (const p of (await this.#ctx.manifest(b.id, true)).partitions) for (const c of p.chunks) named.add(c.id)
      }
      // a backup whose node stopped may still be resumed from its checkpoint
      if (b.state === 'running' && b.checkpoint != null) {
        named.add(b.checkpoint.digest)
        // a checkpoint no holder serves cannot be resumed from (the backup starts over): the chunks
        // only it named are orphans
        const sealed = await this.#ctx.holders.fetch(b.checkpoint.digest, b.checkpoint.digest, b.checkpoint.holders).catch(() => undefined)
        if (sealed !== undefined) for (const p of openManifest(key, b.id, sealed, b.keyFingerprint).partitions) for (const c of p.chunks) named.add(c.id)
      }
    }
    return named
  }

  /** Lists one holder page by page and removes (unless `dryRun`) what is not named, counting each
   * page's orphans as it goes (those of the pages before a failure count too). */
  async #sweepHolder (control: JobControl, node: string, named: ReadonlySet<string>, dryRun: boolean, count: (orphans: number) => void): Promise<void> {
    const holder = this.#ctx.holders.client(node)
    let after = ''
    for (;;) {
      control.signal.throwIfAborted()
      const page = await holder.list(after, MAX_HOLDER_IDS)
      const doomed = page.filter((id) => !named.has(id))
      count(doomed.length)
      if (!dryRun && doomed.length > 0) await holder.remove(doomed)
      if (page.length < MAX_HOLDER_IDS) return
      after = page.at(-1) as string
    }
  }
}
