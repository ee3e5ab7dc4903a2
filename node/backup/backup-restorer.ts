import type { Job, JobControl } from '../jobs/index.ts'
import type { SealedRecord, StoredRecord, StoredSnapshot } from '../replication/index.ts'
import type { BackupContext, RestoreFilter } from './backup-context.ts'
import { newRestoreId } from './backup-id.ts'
import type { BackupKey } from './backup-key.ts'
import { openChunk } from './chunk-crypto.ts'
import { CATALOG_ERROR_CHARS, HOLD_ASK_MS, JOB_LEFT_SHOWN, RESTORE_CHUNK_CACHE, RESTORE_CONCURRENCY, REWRITE_TRIES } from './constants.ts'
import { BackupRestoreError, UnknownBackupError } from './errors.ts'
import { cutToBackup, replicaClient, rewriteJournal } from './journal-rewrite.ts'
import type { ReplicaClient, Rewritten } from './journal-rewrite.ts'
import type { ManifestPartition } from './manifest.ts'
import { chunkSpan, decodeBlock, decodeLast, decodeLatest } from './partition-stream.ts'
import type { DecodedEntity, EntityBlock } from './partition-stream.ts'
import { RESTORE_HOLD_PATH } from './restore-hold.ts'
import type { RestoreHoldMsg } from './restore-hold.ts'
import { RestoreProgress } from './restore-progress.ts'

/** What a restore takes back: everything, one room, or one user's agent. */
export interface RestoreSelection {
  readonly room?: string
  readonly user?: string
  /** Only the entities the backup holds a record of at or after this time (Unix ms, by the
   * events' own `ts`): what changed since then, as the backup saw it. */
  readonly since?: number
}

/** One entity a restore takes: its block, in its partition's stream. */
interface Chosen {
  readonly p: ManifestPartition
  readonly block: EntityBlock
}

/** One restore run: what it takes, and what it did so far. */
interface Run {
  readonly control: JobControl
  readonly key: BackupKey
  readonly id: string
  readonly selection: RestoreSelection
  readonly dryRun: boolean
  readonly chosen: readonly Chosen[]
  readonly progress: RestoreProgress
  /** A dry run's findings (what would change), entity by entity. */
  readonly changes: Array<{ item: string, why: string }>
  /** Opened chunks, by id (a partition's stream is read in order: each chunk is read once). */
  readonly plain: Map<string, Buffer>
  readonly inFlight: Set<Promise<void>>
  /** The erasure log as this restore applies it (absent: none, or a dry run). */
  readonly filter: RestoreFilter | undefined
  /** The backup's records were sealed under the keys they get here (its partition count is this
   * cluster's): written back as they are (rewriteJournal's sealedKeys). */
  readonly sealedKeys: boolean
  /** One entity, as it was (no `since`, nothing of it erased since): cut to the backup's log where
   * every replica holds it whole, its records read only where that does not do (cutToBackup). */
  readonly cutFirst: boolean
  records: number
  /** Entities cut to the backup's log without reading it (cutToBackup). */
  cut: number
  /** Of them, cut one record before the backup's head, that record read from the backup and written again. */
  cutTail: number
  dropped: number
  written: number
  done: number
  restoredHere: number
  failure: unknown
}

/** A resumed restore: its id, and the cursor the catalog holds. */
export interface RestoreResume {
  readonly id: string
  readonly cursor: number
}

/**
 * Restores a backup, as a `restore` job: every entity it holds (the catalog aside), or one room
 * (`room/<room>`) or one user's agent (`agent/<user>`), or those changed since a time. Each
 * entity's journal becomes the backup's records (rewriteJournal), with the entity held still on its
 * owner meanwhile (restore-hold); what was written after the backup goes. A restore that writes is
 * kept in the catalog with its cursor (RestoreProgress), so a node that starts again, or one
 * holding the key while its node is down, goes on from there. `dryRun`: nothing is written; the job
 * lists what would change.
 */
export class BackupRestorer {
  readonly #ctx: BackupContext

  constructor (ctx: BackupContext) {
    this.#ctx = ctx
  }

  /** Starts a `restore` job of backup `id` (or goes on with restore `resume`). */
  start (key: BackupKey, id: string, selection: RestoreSelection, dryRun: boolean, resume?: RestoreResume): Job {
    return this.#ctx.opts.jobs.start('restore', id, async (control) => await this.restore(control, key, id, selection, dryRun, resume))
  }

  /** Restores backup `id`; resolves with the job's message. */
  async restore (control: JobControl, key: BackupKey, id: string, selection: RestoreSelection, dryRun: boolean, resume?: RestoreResume): Promise<string> {
    const { catalog, opts } = this.#ctx
    const manifest = await this.#ctx.manifest(id, true)
    const wanted = selection.room !== undefined ? `room/${selection.room}` : selection.user !== undefined ? `agent/${selection.user}` : undefined
    const chosen = manifest.partitions.flatMap((p) => p.blocks.filter((b) => wanted === undefined || b.entity === wanted).map((block) => ({ p, block })))
    if (chosen.length === 0) throw new UnknownBackupError(id, wanted === undefined ? 'it holds no entities' : `it holds no ${wanted}`)
    const rid = resume?.id ?? newRestoreId()
    const start = Math.min(resume?.cursor ?? 0, chosen.length)
    if (!dryRun && resume === undefined) {
      const record: RestoreSelection = { ...selection.room !== undefined && { room: selection.room }, ...selection.user !== undefined && { user: selection.user }, ...selection.since !== undefined && { since: selection.since } }
      await catalog.ask({ type: 'restore-begin', id: rid, backup: id, selection: record, total: chosen.length, node: opts.self, ts: Date.now() }, true)
    }
    if (!dryRun) this.#ctx.restoring.add(rid)
    // loaded before anything is written: what was erased before the restore started stays erased
    const filter = dryRun ? undefined : await opts.restoreFilter?.()
    const progress = new RestoreProgress({ catalog, id: rid, node: opts.self, total: chosen.length, start, dryRun, ...opts.checkpointMs !== undefined && { everyMs: opts.checkpointMs }, ...opts.log !== undefined && { log: opts.log } })
    try {
      const summary = await this.#restoreChosen({ control, key, id, selection, dryRun, chosen, progress, changes: [], plain: new Map(), inFlight: new Set(), filter, sealedKeys: manifest.partitionCount === opts.journal.partitions, cutFirst: wanted !== undefined && (filter === undefined || filter.touches?.(wanted) === false), records: 0, cut: 0, cutTail: 0, dropped: 0, written: 0, done: start, restoredHere: 0, failure: undefined })
      await progress.settled()
      if (!dryRun) await catalog.ask({ type: 'restore-end', id: rid, error: null, node: opts.self, ts: Date.now() }, true)
      return `${summary}${start > 0 ? `; resumed at entity ${start + 1} of ${chosen.length} (restore ${rid})` : ''}`
    } catch (err) {
      await progress.settled()
      if (!dryRun && progress.fenced === undefined) {
        const why = err instanceof Error ? `${err.name}: ${err.message}` : String(err)
        // the job fails with `err` whatever the catalog says; a restore the catalog still lists
        // running is found stopped (not in `restoring`) and resumed from its cursor
        await catalog.ask({ type: 'restore-end', id: rid, error: why.slice(0, CATALOG_ERROR_CHARS), node: opts.self, ts: Date.now() }, true).catch(() => undefined)
      }
      throw err
    } finally {
      this.#ctx.restoring.delete(rid)
    }
  }

  async #restoreChosen (run: Run): Promise<string> {
    const { control, id, selection, dryRun, chosen, progress } = run
    const start = run.done
    control.progress({ total: chosen.length, done: start, message: `${dryRun ? 'comparing' : 'restoring'} ${chosen.length - start} entities from ${id}` })
    for (let i = start; i < chosen.length; i++) {
      const { p, block } = chosen[i] as Chosen
      control.signal.throwIfAborted()
      if (progress.fenced !== undefined) throw progress.fenced
      if (selection.since === undefined && dryRun) {
        // a dry run needs no more of a block than the manifest says: how many records it holds
        await this.#compare(run, p, block, block.head)
        run.records += block.head
        this.#compared(run, i)
        continue
      }
      if (selection.since === undefined && run.cutFirst) {
        // cut to the backup's log where every replica holds it whole; its records are read only
        // where that does not do
        await this.#startRewrite(run, i, p, block, async (clients) => {
          const snapshot = block.snapshot === undefined ? undefined : async () => await this.#readLatest(run.key, p, block, run.plain)
          // (a journal whose head an activation sealed anew since is cut one record earlier, its
          // head record read from the backup alone: where the keys are this cluster's)
          const tail = block.last === undefined || !run.sealedKeys ? undefined : { prevEpoch: block.last.prevEpoch, read: async () => await this.#readLast(run.key, p, block, run.plain) }
          const cut = await cutToBackup(block.entity, block.head, block.headEpoch, clients, `restore-${run.id}`, snapshot, tail)
          if (cut === undefined) return await this.#rewriteFrom(run, p, block, await this.#readBlock(run.key, p, block, run.plain), clients)
          run.cut++
          if (cut.written > 0) run.cutTail++
          return cut
        })
        run.records += block.head
        continue
      }
      const decoded = await this.#readBlock(run.key, p, block, run.plain)
      if (selection.since !== undefined && !decoded.records.some((r) => eventTime(r.event) >= (selection.since as number))) {
        run.done++
        progress.complete(i)
        control.progress({ done: run.done })
        continue
      }
      if (dryRun) {
        await this.#compare(run, p, block, decoded.head)
        run.records += decoded.head
        this.#compared(run, i)
      } else {
        const records = run.filter === undefined ? decoded.records : run.filter.records(block.entity, decoded.records)
        if (records === null) {
          // erased (an erased user's agent, the erasure log itself): left as it is now
          run.done++
          progress.complete(i)
          control.progress({ done: run.done })
          continue
        }
        const taken = records === decoded.records ? decoded : { ...decoded, records }
        await this.#startRewrite(run, i, p, block, async (clients) => await this.#rewriteFrom(run, p, block, taken, clients))
        run.records += decoded.head
      }
    }
    await Promise.all(run.inFlight)
    if (run.failure !== undefined) throw run.failure
    const taken = dryRun ? run.changes.length : run.restoredHere
    if (selection.since !== undefined && taken === 0 && start === 0) throw new UnknownBackupError(id, `it holds no entity changed at or after ${new Date(selection.since).toISOString()}`)
    if (dryRun) return `dry run of ${id}: ${taken} entities (${run.records} records) would be restored; nothing was written`
    const whole = run.cut - run.cutTail
    const cut = (whole === 0 ? '' : `; ${whole === taken ? 'its replicas held the backup\'s records whole: cut to them, no record of the backup read' : `${whole} cut to the backup's records their replicas held whole`}`) +
      (run.cutTail === 0 ? '' : `; ${run.cutTail === taken ? 'its replicas held the backup\'s records up to the one before its last (sealed anew since): cut there, only that record read' : `${run.cutTail} cut one record before the backup's last (sealed anew since), only that record read`}`)
    return `restored ${taken} entities (${run.records} records) from ${id}: ${run.written} records written, the rest held as the backup has them already${run.dropped > 0 ? `; ${run.dropped} records written after it are gone` : ''}${cut}`
  }

  /** The replicas of a partition, as a restore writes (and a dry run reads) them. */
  #clients (partition: number): Map<string, ReplicaClient> {
    const { journal, system, self } = this.#ctx.opts
    const { replicas } = journal.placement(partition)
    return new Map(replicas.map((node) => [node, replicaClient(system, journal, self, node, partition)]))
  }

  /** A dry run compared one more entity. */
  #compared (run: Run, i: number): void {
    run.done++
    run.progress.complete(i)
    run.control.progress({ done: run.done, left: run.changes.slice(0, JOB_LEFT_SHOWN), message: `${run.done} of ${run.chosen.length} entities compared` })
  }

  /** A dry run's look at one entity: what its replicas hold now against the backup's `head` records. */
  async #compare (run: Run, p: ManifestPartition, block: EntityBlock, head: number): Promise<void> {
    // the replicas that answer say what is there; one that does not would make the restore fail
    const heads = await Promise.all([...this.#clients(p.partition).values()].map(async (c) => await c({ op: 'summary', entity: block.entity }).then((s) => s.head, () => undefined)))
    const answered = heads.filter((h): h is number => h !== undefined)
    const now = Math.max(0, ...answered)
    const why = now === head ? `${now} records now and in the backup: rewritten as the backup's`
      : now > head ? `${now} records now, ${head} in the backup: the ${now - head} written since would go`
        : `${now} records now, ${head} in the backup: ${head - now} would come back`
    const down = heads.length - answered.length
    run.changes.push({ item: block.entity, why: down === 0 ? why : `${why}; ${down} of its ${heads.length} replicas did not answer, and a restore needs them all` })
  }

  /** One try at making an entity's journal the backup's `decoded` records (rewriteJournal). */
  async #rewriteFrom (run: Run, p: ManifestPartition, block: EntityBlock, decoded: DecodedEntity, clients: ReadonlyMap<string, ReplicaClient>): Promise<Rewritten> {
    const slash = block.entity.indexOf('/')
    const state = (): unknown => this.#ctx.opts.system.foldState(block.entity.slice(0, slash), block.entity.slice(slash + 1), decoded.records)
    return await rewriteJournal(block.entity, decoded.records, state, clients, `restore-${run.id}`, decoded.trimmed, { sealedKeys: run.sealedKeys })
  }

  /** Starts restoring one entity by `write` (tried again as #rewriteHeld says), waiting while
   * RESTORE_CONCURRENCY run (blocks are read in order, since a chunk serves its neighbours, and
   * rewritten several at a time). */
  async #startRewrite (run: Run, i: number, p: ManifestPartition, block: EntityBlock, write: (clients: ReadonlyMap<string, ReplicaClient>) => Promise<Rewritten>): Promise<void> {
    while (run.inFlight.size >= RESTORE_CONCURRENCY) await Promise.race(run.inFlight)
    if (run.failure !== undefined) throw run.failure
    const clients = this.#clients(p.partition)
    const rewrite = this.#rewriteHeld(block.entity, async () => await write(clients)).then(async (result) => {
      // what the filter could not write is carried out again through the entity (the erasure log)
      await run.filter?.after?.(block.entity)
      run.dropped += Math.max(0, result.dropped)
      run.written += result.written
      this.#ctx.stats.restored++
      run.restoredHere++
      run.done++
      run.progress.complete(i)
      run.control.progress({ done: run.done, message: `${run.done} of ${run.chosen.length} entities restored` })
    }).catch((err: unknown) => { run.failure ??= err })
    run.inFlight.add(rewrite)
    // `rewrite` never rejects (a failure is kept in run.failure and thrown by the loop)
    void rewrite.finally(() => { run.inFlight.delete(rewrite) })
  }

  /** One entity's journal rewritten while its owner holds it still (tried again when an activation
   * raced the rewrite). */
  async #rewriteHeld (entity: string, write: () => Promise<Rewritten>): Promise<Rewritten> {
    const owner = this.#ctx.opts.ownerOf?.(entity) ?? this.#ctx.opts.self
    const hold = this.#ctx.opts.system.actorAt<RestoreHoldMsg>({ node: owner, path: RESTORE_HOLD_PATH })
    // an owner that cannot hold it (down, not answering) runs no activation of it to hold: the
    // rewrite goes on, and its fence refuses a later activation's stale writes
    const held = await hold.ask<'held' | 'not-active'>((replyTo) => ({ type: 'hold', entity, replyTo }), { timeout: HOLD_ASK_MS }).catch(() => 'not-active' as const)
    try {
      for (let attempt = 1; ; attempt++) {
        try {
          return await write()
        } catch (err) {
          if (!(err instanceof BackupRestoreError) || attempt >= REWRITE_TRIES) throw err
        }
      }
    } finally {
      // a hold not let go ends by itself after HOLD_MAX_MS: a failed unhold delays the entity's
      // messages, and must not hide how the rewrite ended
      if (held === 'held') await hold.ask<'ok'>((replyTo) => ({ type: 'unhold', entity, replyTo }), { timeout: HOLD_ASK_MS }).catch(() => undefined)
    }
  }

  /** One entity's block from its chunks (cached per restore: a full restore reads each chunk once). */
  async #readBlock (key: BackupKey, p: ManifestPartition, block: EntityBlock, cache: Map<string, Buffer>): Promise<DecodedEntity> {
    return decodeBlock(await this.#readSpan(key, p, block, cache), block, { lazy: true })
  }

  /** The snapshot a block holds (block.snapshot): only the chunks its frame spans are read. */
  async #readLatest (key: BackupKey, p: ManifestPartition, block: EntityBlock, cache: Map<string, Buffer>): Promise<StoredSnapshot> {
    const frame = block.snapshot as NonNullable<EntityBlock['snapshot']>
    return decodeLatest(await this.#readSpan(key, p, { offset: block.offset + frame.offset, length: frame.length }, cache), block)
  }

  /** A block's last record (block.last): only the chunks its frame spans are read. */
  async #readLast (key: BackupKey, p: ManifestPartition, block: EntityBlock, cache: Map<string, Buffer>): Promise<SealedRecord> {
    const frame = block.last as NonNullable<EntityBlock['last']>
    return decodeLast(await this.#readSpan(key, p, { offset: block.offset + frame.offset, length: frame.length }, cache), block)
  }

  /** The bytes of a partition's stream from `offset`, `length` of them, from the chunks they span. */
  async #readSpan (key: BackupKey, p: ManifestPartition, span: { readonly offset: number, readonly length: number }, cache: Map<string, Buffer>): Promise<Buffer> {
    const { first, last, skip } = chunkSpan(p.chunks.map((c) => c.size), span)
    const parts: Buffer[] = []
    for (const c of p.chunks.slice(first, last + 1)) {
      let plain = cache.get(c.id)
      if (plain === undefined) {
        plain = openChunk(key, c.id, await this.#ctx.holders.fetch(c.id, c.digest, []))
        // a partition's stream is read in order: the chunks before this one are not needed again
        if (cache.size > RESTORE_CHUNK_CACHE) cache.clear()
        cache.set(c.id, plain)
      }
      parts.push(plain)
    }
    return Buffer.concat(parts).subarray(skip, skip + span.length)
  }
}

/** An event's own time (`ts`, Unix ms), or -Infinity when it has none. */
function eventTime (event: unknown): number {
  const ts = (event as { ts?: unknown } | null)?.ts
  return typeof ts === 'number' && Number.isFinite(ts) ? ts : Number.NEGATIVE_INFINITY
}
