import type { CatalogClient } from './catalog-client.ts'
import type { BackupLog } from './backup-log.ts'
import { CHECKPOINT_MS } from './constants.ts'

export interface RestoreProgressOptions {
  readonly catalog: CatalogClient
  /** The restore's id, and the node making it (the catalog refuses another's progress). */
  readonly id: string
  readonly node: string
  /** Entities the restore takes, and those done before it started (a resumed restore's cursor). */
  readonly total: number
  readonly start: number
  /** A dry run records nothing. */
  readonly dryRun: boolean
  /** How often the cursor is recorded, at most. @default CHECKPOINT_MS */
  readonly everyMs?: number
  readonly log?: BackupLog
}

/**
 * How far a restore got, recorded in the catalog: entities end out of order (several are
 * rewritten at once), and the cursor is the first not yet done; it is recorded at most every
 * `everyMs`, one record at a time. A node that takes the restore over goes on from the cursor
 * recorded. The catalog refusing a record (another node took the restore over) fences this one
 * out: `fenced` says so, and the restore must stop.
 */
export class RestoreProgress {
  readonly #opts: RestoreProgressOptions
  readonly #completed: Uint8Array
  #cursor: number
  #recorded: number
  #recording: Promise<void> | undefined
  #recordedAt = Date.now()
  #fenced: unknown

  constructor (opts: RestoreProgressOptions) {
    this.#opts = opts
    this.#completed = new Uint8Array(opts.total).fill(1, 0, opts.start)
    this.#cursor = opts.start
    this.#recorded = opts.start
  }

  /** Every entity before this one is done. */
  get cursor (): number { return this.#cursor }

  /** The catalog's refusal of a record (another node took the restore over); undefined while none. */
  get fenced (): unknown { return this.#fenced }

  /** Entity `i` is done: the cursor moves past every done one, and is recorded when due. */
  complete (i: number): void {
    const { catalog, id, node, total, dryRun, log } = this.#opts
    this.#completed[i] = 1
    while (this.#cursor < total && this.#completed[this.#cursor] === 1) this.#cursor++
    if (dryRun || this.#recording !== undefined || this.#cursor === this.#recorded || Date.now() - this.#recordedAt < (this.#opts.everyMs ?? CHECKPOINT_MS)) return
    this.#recordedAt = Date.now()
    const at = this.#cursor
    this.#recording = catalog.ask({ type: 'restore-progress', id, cursor: at, node }, true).then(() => { this.#recorded = at }, (err: unknown) => {
      // a cursor not recorded only means a resumed restore does more again; a refusal fences this one
      if ((err as Error).name === 'BackupCatalogError') this.#fenced ??= err
      log?.warn({ err, restore: id }, `restore ${id}: progress not recorded: ${(err as Error).message}`)
    }).finally(() => { this.#recording = undefined })
  }

  /** Waits for the record being made, if any. */
  async settled (): Promise<void> {
    await this.#recording
  }
}
