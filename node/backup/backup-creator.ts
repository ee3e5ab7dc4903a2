import { BACKUPS } from '../../actors/index.ts'
import type { BackupStats, ManifestRef } from '../../actors/index.ts'
import type { Job, JobControl } from '../jobs/index.ts'
import { fenceQuorum, meshPeer, replicaPeer } from '../replication/index.ts'
import type { PartitionPeer } from '../replication/index.ts'
import { BackupCheckpoint } from './backup-checkpoint.ts'
import { BackupContext } from './backup-context.ts'
import type { BackupKey } from './backup-key.ts'
import { BackupRemover } from './backup-remover.ts'
import { ciphertextDigest } from './chunk-crypto.ts'
import { ChunkPool } from './chunk-pool.ts'
import { CATALOG_ERROR_CHARS, MAX_HOLDER_IDS, PARTITIONS_AT_ONCE } from './constants.ts'
import { StreamRestartError } from './errors.ts'
import { MANIFEST_FORMAT, manifestRoot, sealManifest } from './manifest.ts'
import type { BackupManifest, ManifestChunk, ManifestPartition } from './manifest.ts'
import { readPartitionCut } from './partition-cut.ts'
import type { EntityCut } from './partition-cut.ts'
import { PartitionStreamWriter } from './partition-stream.ts'
import type { EntityBlock, SealedChunk } from './partition-stream.ts'
import { CorruptRecordError } from '../storage/index.ts'
import { pushTo } from './push-to.ts'
import { applyRetention } from './retention.ts'
import { Uploader } from './uploader.ts'

/** Where a resumed backup goes on from: its checkpoint, opened (undefined: none could be read). */
export interface BackupResume {
  readonly from: BackupManifest | undefined
  readonly checkpoint: ManifestRef | null
}

type Counts = { -readonly [K in keyof BackupStats]: BackupStats[K] }

/** One partition as a backup read it: its chunks in stream order, what it counted, and where its
 * blocks lie (`end`; undefined: unchanged since the previous backup, which has it). */
interface PartitionRead {
  readonly chunks: ManifestChunk[]
  readonly counts: { readonly entities: number, readonly records: number, readonly newChunks: number, readonly newBytes: number }
  readonly end: { readonly blocks: readonly EntityBlock[], readonly bytes: number } | undefined
}

/**
 * One backup, as its job makes it (docs/backup.md): every partition is read at a cut
 * (readPartitionCut) and written as a stream of entity blocks cut into content-defined chunks
 * sealed under the master key (chunks an earlier backup stored and its holders still hold are
 * named, not sent again); each chunk goes to `copies` backup holders (Uploader); then the manifest
 * (what is where, and the Merkle root over every chunk) is sealed and stored the same way, and the
 * catalog lists the backup done. A partition unchanged since the last backup is that backup's,
 * read no more. A checkpoint records what is done as it goes (BackupCheckpoint), and a resumed
 * backup starts from it. After it, the retention policy prunes.
 */
export class BackupCreator {
  readonly #ctx: BackupContext
  readonly #control: JobControl
  readonly #key: BackupKey
  readonly #id: string
  readonly #note: string
  readonly #resume: BackupResume | undefined
  /** Each partition's part of the manifest, by partition (undefined: not done, or empty). */
  readonly #results: Array<ManifestPartition | undefined> = []
  readonly #stats: Counts = { partitions: 0, entities: 0, records: 0, bytes: 0, chunks: 0, newChunks: 0, newBytes: 0 }
  /** Partitions a resumed backup took from its checkpoint, and those found empty. */
  readonly #fromCheckpoint = new Set<number>()
  readonly #empty = new Set<number>()
  #partitionsDone = 0
  #partitionsReused = 0
  /** Chunks stored and still held: id → digest (what is named, not sent). */
  #known = new Map<string, string>()
  #previous: BackupManifest | undefined
  readonly #uploader: Uploader
  readonly #checkpoint: BackupCheckpoint
  /** The worker threads this backup's streams are chunked and sealed on (closed when it is done). */
  readonly #pool = new ChunkPool()

  constructor (ctx: BackupContext, control: JobControl, key: BackupKey, id: string, note: string, resume?: BackupResume) {
    this.#ctx = ctx
    this.#control = control
    this.#key = key
    this.#id = id
    this.#note = note
    this.#resume = resume
    // each acknowledged put may complete a partition: a checkpoint looks (at most so often)
    this.#uploader = new Uploader(ctx.opts, control.signal, (node) => ctx.holders.client(node), () => { this.#offerCheckpoint() })
    this.#checkpoint = new BackupCheckpoint(ctx, { key, id, note, partitionCount: ctx.opts.journal.partitions, uploader: this.#uploader, last: resume?.checkpoint ?? null })
  }

  /** Starts a `backup` job that makes backup `id` (or goes on with it from `resume`). */
  static start (ctx: BackupContext, key: BackupKey, id: string, note: string, resume?: BackupResume): Job {
    return ctx.opts.jobs.start('backup', id, async (control) => await new BackupCreator(ctx, control, key, id, note, resume).run())
  }

  /** Makes the backup; resolves with the job's message. A backup that fails is listed failed. */
  async run (): Promise<string> {
    const { catalog, opts } = this.#ctx
    const id = this.#id
    if (this.#resume === undefined) await catalog.ask({ type: 'begin', id, note: this.#note, keyFingerprint: this.#key.fingerprint, node: opts.self, ts: Date.now() }, true)
    try {
      return await this.#make()
    } catch (err) {
      const why = err instanceof Error ? `${err.name}: ${err.message}` : String(err)
      opts.log?.warn({ err, backup: id }, `backup ${id} failed: ${why}`)
      // the job fails with `err` whatever the catalog says; a catalog that cannot be told lists the
      // backup running, and BackupResumer finds it stopped (its job here gone) and takes it on
      await catalog.ask({ type: 'fail', id, error: why.slice(0, CATALOG_ERROR_CHARS), ts: Date.now(), node: opts.self }, true).catch(() => undefined)
      throw err
    }
  }

  async #make (): Promise<string> {
    const total = this.#ctx.opts.journal.partitions
    const { known, previous } = await this.#knownChunks()
    this.#known = known
    this.#previous = previous
    this.#takeCheckpoint(total)
    const resumed = this.#fromCheckpoint.size
    this.#control.progress({ total, done: resumed, message: resumed > 0 ? `resumed: ${resumed} partitions done before, reading ${total - resumed}` : `reading ${total} partitions` })
    this.#partitionsDone = resumed
    // a few partitions at once, each chunked and sealed on a worker thread while this one reads
    // the store and sends chunks to their holders
    let next = 0
    try {
      await Promise.all(Array.from({ length: Math.min(Math.max(PARTITIONS_AT_ONCE, this.#pool.threads), total) }, async () => {
        while (next < total) await this.#backUp(next++)
      }))
    } finally {
      await this.#pool.close()
    }
    await this.#uploader.flush()
    await this.#checkpoint.settled()
    if (this.#checkpoint.fenced !== undefined) throw this.#checkpoint.fenced
    return await this.#complete(total)
  }

  /** A resumed backup: the partitions its checkpoint holds are done (their chunks were acknowledged
   * before it was recorded); the others are read now, at a cut of their own. */
  #takeCheckpoint (total: number): void {
    const from = this.#resume?.from
    if (from === undefined || from.partitionCount !== total) return
    for (const part of from.partitions) {
      this.#results[part.partition] = part
      this.#fromCheckpoint.add(part.partition)
      for (const c of part.chunks) this.#known.set(c.id, c.digest)
      this.#count(part)
    }
  }

  /** Adds a partition taken whole (from a checkpoint, or the previous backup) to the counts. */
  #count (part: ManifestPartition): void {
    this.#stats.partitions++
    this.#stats.entities += part.blocks.length
    this.#stats.records += part.blocks.reduce((n, b) => n + b.head, 0)
    this.#stats.bytes += part.blocks.reduce((n, b) => n + b.length, 0)
    this.#stats.chunks += part.chunks.length
  }

  #offerCheckpoint (): void {
    this.#checkpoint.offer(this.#results, new Set([...this.#fromCheckpoint, ...this.#empty]))
  }

  async #backUp (p: number): Promise<void> {
    this.#control.signal.throwIfAborted()
    if (this.#checkpoint.fenced !== undefined) throw this.#checkpoint.fenced
    if (this.#fromCheckpoint.has(p)) return
    // a partition whose entities all end where they did in the previous backup, whose chunks
    // are all still held, is that backup's: nothing of it is read again
    const before = this.#previous?.partitions.find((x) => x.partition === p)
    let read: PartitionRead
    try {
      read = await this.#read(p, before, true)
    } catch (err) {
      if (err instanceof StreamRestartError) {
        // an entity streamed from this node's replica was not what the listing said, part way
        this.#ctx.opts.log?.warn({ partition: p, backup: this.#id }, `backup ${this.#id}: ${err.message}; partition ${p} is read again, each record checked`)
        read = await this.#read(p, before, false)
      } else {
        if (!(err instanceof CorruptRecordError)) throw err
        // a record this node's store holds failed its seal on the way (the chunk worker checks each):
        // scrub is told, and the partition is read again the checked way, from another replica where
        // this one's copy is damaged (what was sent of it is named by no manifest: a sweep removes it)
        this.#ctx.opts.journal.storage.onDamaged?.(err.key)
        this.#ctx.opts.log?.warn({ key: err.key, partition: p, backup: this.#id }, `backup ${this.#id}: a stored record failed its seal (${err.message}); partition ${p} is read again, each record checked`)
        read = await this.#read(p, before, false)
      }
    }
    this.#stats.entities += read.counts.entities
    this.#stats.records += read.counts.records
    this.#stats.newChunks += read.counts.newChunks
    this.#stats.newBytes += read.counts.newBytes
    if (read.end === undefined && before !== undefined) {
      this.#results[p] = before
      this.#partitionsReused++
      this.#count(before)
      this.#control.progress({ done: ++this.#partitionsDone })
      this.#offerCheckpoint()
      return
    }
    const end = read.end as NonNullable<PartitionRead['end']>
    if (end.blocks.length > 0) {
      this.#results[p] = { partition: p, chunks: read.chunks, blocks: end.blocks }
      this.#stats.partitions++
      this.#stats.bytes += end.bytes
      this.#stats.chunks += read.chunks.length
    } else {
      this.#empty.add(p)
    }
    const { entities, bytes, newBytes } = this.#stats
    this.#control.progress({ done: ++this.#partitionsDone, message: `${entities} entities, ${mib(bytes)} read, ${mib(newBytes)} new` })
    // its last chunks go now rather than with the next partitions': it is done once they are acknowledged
    await this.#uploader.send()
    this.#offerCheckpoint()
  }

  /** Partition `p` read and written as a stream, its new chunks sent; `end` undefined when it is
   * the previous backup's (`before`, unchanged). `stored`: this node's replica read as stored
   * (each record's seal checked by the chunk worker), else each record read and checked as a
   * replica reads it. */
  async #read (p: number, before: ManifestPartition | undefined, stored: boolean): Promise<PartitionRead> {
    const chunks: ManifestChunk[] = []
    const counts = { entities: 0, records: 0, newChunks: 0, newBytes: 0 }
    // (the chunks an earlier backup stored of this partition are the ones its stream can meet again)
    const known = new Map((before?.chunks ?? []).flatMap((c) => this.#known.get(c.id) === c.digest ? [[c.id, c.digest] as const] : []))
    const writer = new PartitionStreamWriter(() => this.#pool.session(this.#key, p, known, this.#ctx.opts.chunker))
    let reused = false
    const unchanged = (cut: ReadonlyMap<string, { head: number, headEpoch: number }>): boolean => {
      reused = before !== undefined && before.blocks.length === cut.size &&
        before.blocks.every((b) => cut.get(b.entity)?.head === b.head && cut.get(b.entity)?.headEpoch === b.headEpoch) &&
        before.chunks.every((c) => this.#known.get(c.id) === c.digest)
      return reused
    }
    try {
      for await (const cut of this.#cuts(p, unchanged, stored)) {
        counts.entities++
        counts.records += cut.head
        await writer.add(cut, async (sealed) => { await this.#take(sealed, chunks, counts) })
        await this.#take(writer.ready(), chunks, counts)
      }
      if (reused) {
        writer.abandon()
        return { chunks, counts, end: undefined }
      }
      const end = await writer.finish()
      await this.#take(end.chunks, chunks, counts)
      return { chunks, counts, end }
    } catch (err) {
      writer.abandon()
      throw err
    }
  }

  /** Partition `p` read at a cut from its replicas (this node's own read locally). */
  #cuts (p: number, unchanged: (cut: ReadonlyMap<string, { head: number, headEpoch: number }>) => boolean, stored: boolean): AsyncIterable<EntityCut> {
    const { journal, system, self } = this.#ctx.opts
    const { replicas, writeQuorum } = journal.placement(p)
    const peer = this.#ctx.opts.peer ?? ((node: string, partition: number) => meshPeer(system, node, partition, journal.partitions))
    const peers = new Map<string, PartitionPeer>(replicas.map((node) => [node, node === self ? replicaPeer(p, journal.storage, journal.core(p)) : peer(node, p)]))
    return readPartitionCut(p, peers, { quorum: fenceQuorum(replicas.length, writeQuorum), signal: this.#control.signal, skip: isCatalog, prefer: self, unchanged, stored, stream: stored })
  }

  /** Names sealed chunks in the partition's list, and sends the new ones to their holders (counted in `counts`). */
  async #take (sealed: SealedChunk[], chunks: ManifestChunk[], counts: { newChunks: number, newBytes: number }): Promise<void> {
    for (const c of sealed) {
      chunks.push({ id: c.id, size: c.size, digest: c.digest })
      if (c.sealed !== undefined) {
        counts.newChunks++
        counts.newBytes += c.size
        await this.#uploader.add({ id: c.id, digest: c.digest, sealed: c.sealed })
      }
    }
  }

  /** Seals and stores the manifest, lists the backup done, drops its checkpoint, prunes. */
  async #complete (total: number): Promise<string> {
    const { catalog, holders, opts } = this.#ctx
    const key = this.#key
    const id = this.#id
    const partitions = this.#results.filter((r): r is ManifestPartition => r !== undefined)
    const manifest: BackupManifest = { format: MANIFEST_FORMAT, id, createdAt: new Date().toISOString(), note: this.#note, keyFingerprint: key.fingerprint, partitionCount: total, partitions }
    const sealed = sealManifest(key, manifest)
    const digest = ciphertextDigest(sealed)
    const took = await this.#uploader.putNow({ id: digest, digest, sealed })
    const root = manifestRoot(manifest)
    const stats = this.#stats
    Object.assign(this.#ctx.stats, { lastDoneAt: Date.now(), lastBytes: stats.bytes, lastNewBytes: stats.newBytes })
    this.#ctx.stats.bytesRead += stats.bytes
    this.#ctx.stats.bytesSent += stats.newBytes
    await catalog.ask({ type: 'complete', id, root, manifest: { digest, bytes: sealed.byteLength, holders: took }, stats: { ...stats }, ts: Date.now(), node: opts.self }, true)
    const last = this.#checkpoint.last
    if (last !== null) await holders.drop(last)
    const pruned = await this.#prune().catch((err: unknown) => {
      opts.log?.warn({ err }, `backup ${id} done, but retention could not prune: ${(err as Error).message}`)
      return [] as string[]
    })
    return `${pruned.length > 0 ? `retention removed ${pruned.join(', ')}; ` : ''}backup ${id}: ${stats.entities} entities in ${stats.partitions} partitions, ${mib(stats.bytes)} in ${stats.chunks} chunks, ` +
      `${stats.newChunks} new (${mib(stats.newBytes)}) on ${holders.copies()} holder(s) each` +
      `${this.#partitionsReused > 0 ? `; ${this.#partitionsReused} partitions unchanged since ${this.#previous?.id ?? 'the last backup'}, not read again` : ''}` +
      `${this.#fromCheckpoint.size > 0 ? `; resumed, ${this.#fromCheckpoint.size} partitions taken from its checkpoint` : ''}; root ${root.slice(0, 16)}`
  }

  /** Removes the done backups of this key that the retention policy does not keep; their ids. */
  async #prune (): Promise<string[]> {
    const policy = this.#ctx.opts.retention
    if (policy === undefined) return []
    const remover = new BackupRemover(this.#ctx)
    return await applyRetention(await this.#ctx.catalog.list(true), this.#key.fingerprint, policy, async (id) => await remover.remove(id, true))
  }

  /** This key's latest done backup (its manifest), and its chunks that their holders still hold:
   * id → digest. */
  async #knownChunks (): Promise<{ known: Map<string, string>, previous: BackupManifest | undefined }> {
    const latest = BackupContext.latestOf(await this.#ctx.catalog.list(true), this.#key)
    if (latest === undefined) return { known: new Map(), previous: undefined }
    // a manifest that cannot be read now only costs the dedup: every chunk is sent as new
    const manifest = await this.#ctx.manifest(latest.id, true).catch(() => undefined)
    if (manifest === undefined) return { known: new Map(), previous: undefined }
    const all = new Map(manifest.partitions.flatMap((p) => p.chunks.map((c) => [c.id, c.digest] as const)))
    // a chunk counts as stored when its first-ranked holder still has it (audits and repair see to the copies)
    const byHolder = new Map<string, string[]>()
    for (const id of all.keys()) {
      const [first] = this.#ctx.holders.rank(id)
      if (first !== undefined) pushTo(byHolder, first, id)
    }
    const known = new Map<string, string>()
    for (const [node, ids] of byHolder) {
      for (let i = 0; i < ids.length; i += MAX_HOLDER_IDS) {
        const page = ids.slice(i, i + MAX_HOLDER_IDS)
        // a holder that does not answer holds nothing, as far as this backup knows: its chunks are sent again
        const held = await this.#ctx.holders.client(node).has(page).catch(() => page.map(() => false))
        page.forEach((id, j) => { if (held[j] === true) known.set(id, all.get(id) as string) })
      }
    }
    return { known, previous: manifest }
  }
}

/** The catalog lists backups; restoring an old copy of it would bring back backups since pruned
 * and forget newer ones, so it is never in a backup. */
function isCatalog (entity: string): boolean {
  return entity.startsWith(`${BACKUPS.type}/`)
}

function mib (bytes: number): string {
  return `${(bytes / 1_048_576).toFixed(1)} MiB`
}
