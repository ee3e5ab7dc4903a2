import { BACKUPS, BACKUP_CATALOG_KEY } from '../../actors/index.ts'
import type { ActorSystem, BackupEntry, RestoreEntry } from '../../actors/index.ts'
import { kindOf } from '../../protocols/index.ts'
import { CATALOG_ASK_MS, CATALOG_PATIENCE_MS, CATALOG_RETRY_FIRST_MS, CATALOG_RETRY_MAX_MS } from './constants.ts'
import { UnknownBackupError } from './errors.ts'

/**
 * The cluster's backup catalog (`backups/cluster`) as this node's backup jobs ask it. A job's asks
 * (`patient`) ride out the catalog's owner failing over: a failure of kind unavailable is tried
 * again, waiting longer each time, for up to CATALOG_PATIENCE_MS. An operator's ask (not patient)
 * answers at once, failed or not.
 */
export class CatalogClient {
  readonly #system: ActorSystem

  constructor (system: ActorSystem) {
    this.#system = system
  }

  /** Asks the catalog `msg` (its replyTo added). */
  async ask<T> (msg: object, patient = false): Promise<T> {
    const until = Date.now() + (patient ? CATALOG_PATIENCE_MS : 0)
    for (let wait = CATALOG_RETRY_FIRST_MS; ; wait = Math.min(wait * 2, CATALOG_RETRY_MAX_MS)) {
      try {
        return await this.#system.entity(BACKUPS, BACKUP_CATALOG_KEY).ask<T>((replyTo) => ({ ...msg, replyTo }) as never, { timeout: CATALOG_ASK_MS })
      } catch (err) {
        if (kindOf(err) !== 'unavailable' || Date.now() + wait > until) throw err
        await new Promise((resolve) => setTimeout(resolve, wait))
      }
    }
  }

  /** Every backup the catalog knows, oldest first. */
  async list (patient = false): Promise<BackupEntry[]> {
    // entries written before checkpoints existed lack these
    return (await this.ask<BackupEntry[]>({ type: 'list' }, patient)).map((b) => ({ ...b, checkpoint: b.checkpoint ?? null, resumed: b.resumed ?? 0 }))
  }

  /** One backup, or UnknownBackupError. */
  async get (id: string, patient = false): Promise<BackupEntry> {
    const entry = (await this.list(patient)).find((b) => b.id === id)
    if (entry === undefined) throw new UnknownBackupError(id)
    return entry
  }

  /** The restores the catalog keeps (running, and the last ended ones), oldest first. */
  async restores (patient = false): Promise<RestoreEntry[]> {
    return await this.ask<RestoreEntry[]>({ type: 'list-restores' }, patient)
  }
}
