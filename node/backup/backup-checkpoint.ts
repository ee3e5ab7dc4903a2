import type { ManifestRef } from '../../actors/index.ts'
import type { BackupContext } from './backup-context.ts'
import type { BackupKey } from './backup-key.ts'
import { ciphertextDigest } from './chunk-crypto.ts'
import { CHECKPOINT_MS } from './constants.ts'
import { MANIFEST_FORMAT, sealManifest } from './manifest.ts'
import type { BackupManifest, ManifestPartition } from './manifest.ts'
import type { Uploader } from './uploader.ts'

export interface BackupCheckpointOptions {
  readonly key: BackupKey
  /** The backup's id and note (a checkpoint is sealed as its manifest would be). */
  readonly id: string
  readonly note: string
  readonly partitionCount: number
  readonly uploader: Uploader
  /** The checkpoint recorded before (a resumed backup's), dropped once a newer one is recorded. */
  readonly last: ManifestRef | null
}

/**
 * A running backup's checkpoint: the partitions done and wholly acknowledged by their holders,
 * sealed as a partial manifest, put on the holders like one and recorded in the catalog, at most
 * every `checkpointMs` and never two at once; the checkpoint before it is dropped. A backup whose
 * node stops goes on from it (BackupResumer). The catalog refusing one (another node took the
 * backup over) fences this backup out: `fenced` says so, and the backup must stop.
 */
export class BackupCheckpoint {
  readonly #ctx: BackupContext
  readonly #opts: BackupCheckpointOptions
  #last: ManifestRef | null
  #recording: Promise<void> | undefined
  #at = Date.now()
  #fenced: unknown

  constructor (ctx: BackupContext, opts: BackupCheckpointOptions) {
    this.#ctx = ctx
    this.#opts = opts
    this.#last = opts.last
  }

  /** The catalog's refusal of a checkpoint (another node took the backup over); undefined while none. */
  get fenced (): unknown { return this.#fenced }

  /** The checkpoint recorded last (null: none). */
  get last (): ManifestRef | null { return this.#last }

  /**
   * Records a checkpoint of the partitions of `results` whose chunks are all acknowledged, when one
   * is due, none is being recorded, and it holds a partition that `doneBefore` (those of the resumed
   * checkpoint, and the empty ones) does not.
   */
  offer (results: ReadonlyArray<ManifestPartition | undefined>, doneBefore: ReadonlySet<number>): void {
    if (this.#recording !== undefined || Date.now() - this.#at < (this.#ctx.opts.checkpointMs ?? CHECKPOINT_MS)) return
    const ready = results.filter((r): r is ManifestPartition => r !== undefined && r.chunks.every((c) => this.#opts.uploader.acked(c.id)))
    if (ready.length === 0 || ready.every((r) => doneBefore.has(r.partition))) return
    this.#at = Date.now()
    const { id } = this.#opts
    this.#recording = this.#record(ready).catch((err: unknown) => {
      // a checkpoint is what a resumed backup need not do again: without it, the backup goes on
      // (and a resumed one does more again); a fenced one stops at its next partition
      this.#ctx.opts.log?.warn({ err, backup: id }, `backup ${id}: checkpoint not recorded: ${(err as Error).message}`)
    }).finally(() => { this.#recording = undefined })
  }

  /** Waits for the checkpoint being recorded, if any. */
  async settled (): Promise<void> {
    await this.#recording
  }

  async #record (ready: ManifestPartition[]): Promise<void> {
    const { key, id, note, partitionCount, uploader } = this.#opts
    const partial: BackupManifest = { format: MANIFEST_FORMAT, id, createdAt: new Date().toISOString(), note, keyFingerprint: key.fingerprint, partitionCount, partitions: ready }
    const sealed = sealManifest(key, partial)
    const digest = ciphertextDigest(sealed)
    const holders = await uploader.putNow({ id: digest, digest, sealed })
    try {
      await this.#ctx.catalog.ask({ type: 'checkpoint', id, checkpoint: { digest, bytes: sealed.byteLength, holders }, node: this.#ctx.opts.self, ts: Date.now() }, true)
    } catch (err) {
      // another node took this backup over (this one was thought down): it must stop here
      if ((err as Error).name === 'BackupCatalogError') this.#fenced ??= err
      throw err
    }
    const old = this.#last
    this.#last = { digest, bytes: sealed.byteLength, holders }
    if (old !== null) await this.#ctx.holders.drop(old)
  }
}
