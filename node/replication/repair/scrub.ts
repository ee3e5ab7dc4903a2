import { PeriodicService, ServiceFailures } from '../../services/index.ts'
import { sealIntact as intact } from '../../storage/index.ts'
import { MAX_HOLE, SCRUB_BATCH } from '../constants.ts'
import type { ReplicatedJournal } from '../journal/replicated-journal.ts'
import { RECORD_KEY_CHAR, describeKey } from '../replica/replica-keys.ts'
import { serviceLog } from '../service-log.ts'

/** What scrub did on this node (metrics, admin). */
export interface ScrubStats {
  passes: number
  /** True while a pass runs. */
  running: boolean
  /** ms since the epoch when the running (or last) pass started; 0: none yet. */
  startedAt: number
  /** ms since the epoch when the last pass ended; 0: none yet. */
  lastPassAt: number
  /** Values (records, states, snapshots) verified in the running or last pass. */
  scanned: number
  /** Records the node held when the running or last pass started: scanned / this is the progress. */
  expected: number
  /** Bytes read and verified, over every pass. */
  bytes: number
  /** Values whose seal failed, over every pass (the same value found again counts again). */
  corruptFound: number
  /** Damaged records put back from a healthy replica. */
  repaired: number
  /** Values damaged and not yet repaired (the quarantine, as the last pass left it). */
  quarantined: number
}

export interface ScrubOptions {
  readonly self: string
  readonly journal: ReplicatedJournal
  /** Members heard and not down (the replicas a repair may read from). */
  readonly live: () => ReadonlySet<string>
  /** Bytes a second a pass may read (0 or Infinity: as fast as the disk goes). */
  readonly bytesPerSecond: number
  /** ms between the end of a pass and the start of the next; 0: only when asked (runOnce). */
  readonly intervalMs: number
  readonly log: { info (obj: object, msg: string): void, warn (obj: object, msg: string): void, error (obj: object, msg: string): void }
  /** Where the loop's failed passes are counted (one per node, shared by its services).
   * @default a ServiceFailures of its own */
  readonly failures?: ServiceFailures
}

/** The key of another seq of the same entity's records (`…\0<seq, 16 hex>`). */
function recordKeyOf (key: string, seq: number): string {
  return key.slice(0, key.length - 16) + seq.toString(16).padStart(16, '0')
}

/**
 * Scrub (docs/replication.md, "Scrub"): reads every value of the node's store at a bounded rate and
 * checks its seal (SHA-256 of key and content). A record whose seal fails is quarantined (a copy
 * kept under `q\0…`; the value stays where it is and keeps failing, so no read returns it: owners
 * read another replica) and put back from a healthy replica whose log agrees with this one there.
 * A damaged snapshot is put back from a replica holding the same one; a damaged replica state
 * cannot be taken from another replica (promises are each replica's own) and is left quarantined
 * and reported. A read that meets a damaged record asks for its repair at once.
 */
export class Scrubber {
  readonly stats: ScrubStats = { passes: 0, running: false, startedAt: 0, lastPassAt: 0, scanned: 0, expected: 0, bytes: 0, corruptFound: 0, repaired: 0, quarantined: 0 }
  readonly #opts: ScrubOptions
  #running: Promise<ScrubStats> | undefined
  readonly #service: PeriodicService
  #stopped = false
  /** Repairs asked for by reads, one at a time per key. */
  readonly #repairing = new Map<string, Promise<boolean>>()

  constructor (opts: ScrubOptions) {
    this.#opts = opts
    this.#service = new PeriodicService({
      name: 'scrub',
      run: async () => { await this.runOnce() },
      intervalMs: opts.intervalMs,
      failures: opts.failures ?? new ServiceFailures(),
      log: serviceLog(opts.log)
    })
  }

  /** Passes from now on, the first one interval after this (none with intervalMs 0). */
  start (): void {
    if (this.#opts.intervalMs <= 0 || this.#stopped) return
    this.#service.start()
  }

  /** No pass starts after this; the one running stops at its next batch and is waited for. */
  async stop (): Promise<void> {
    this.#stopped = true
    await this.#service.stop()
  }

  /** A pass now, through the service (one running is joined): what an admin asks for. Never
   * rejects: a failed pass is counted and logged as the periodic ones are. */
  trigger (): Promise<void> {
    return this.#service.trigger()
  }

  /** A pass over the whole store; one already running is joined. */
  runOnce (): Promise<ScrubStats> {
    this.#running ??= this.#pass().finally(() => { this.#running = undefined })
    return this.#running
  }

  /** A read found `key` damaged: quarantine and repair it now, not at the next pass. */
  damaged (key: string): void {
    if (this.#repairing.has(key)) return
    this.stats.corruptFound++
    // a repair that throws (the store closed under it) leaves the damage where it was: the next
    // pass meets it again and repairs it then; the read that found it failed on its own
    void this.#handle(key).catch(() => undefined)
  }

  async #pass (): Promise<ScrubStats> {
    const { journal, log } = this.#opts
    const storage = journal.storage
    const stats = this.stats
    stats.running = true
    stats.startedAt = Date.now()
    stats.scanned = 0
    stats.expected = 0
    for (let p = 0; p < storage.partitions; p++) stats.expected += storage.tree(p).records
    const rate = this.#opts.bytesPerSecond > 0 && Number.isFinite(this.#opts.bytesPerSecond) ? this.#opts.bytesPerSecond : Infinity
    const started = performance.now()
    let bytes = 0
    let entity = ''
    let next = 1
    let lastKey = ''
    try {
      // quarantined keys that read correctly again (anti-entropy put them back) leave the quarantine
      for (const key of await storage.quarantined()) {
        const raw = await storage.store.getRaw(key)
        if (raw === undefined || intact(key, raw)) await storage.releaseQuarantine(key)
      }
      for await (const batch of storage.store.rawBatches({ gte: '\x00', lte: '\xff\xff', batch: SCRUB_BATCH })) {
        if (this.#stopped) break
        for (const [key, raw] of batch) {
          bytes += raw.byteLength
          stats.scanned++
          // records of one entity are contiguous from seq 1: a gap is a record lost under the store
          if (key.charCodeAt(0) === RECORD_KEY_CHAR) {
            const what = describeKey(key)
            if (what.kind === 'record') {
              if (what.entity !== entity) await this.#checkTail(lastKey, entity, next)
              const expected = what.entity === entity ? next : 1
              for (let seq = expected; seq < what.seq && seq < expected + MAX_HOLE; seq++) {
                stats.corruptFound++
                await this.#handle(recordKeyOf(key, seq))
              }
              entity = what.entity
              next = what.seq + 1
              lastKey = key
            }
          }
          // a quarantined copy is evidence, not data: it is kept as it was taken
          if (key.startsWith('q\x00') || intact(key, raw)) continue
          stats.corruptFound++
          await this.#handle(key)
        }
        stats.bytes += batch.reduce((n, [, v]) => n + v.byteLength, 0)
        // the rate: the pass may not be ahead of bytes / rate
        const ahead = bytes / rate * 1000 - (performance.now() - started)
        if (ahead > 1) await new Promise<void>((resolve) => { setTimeout(resolve, ahead).unref() })
      }
      await this.#checkTail(lastKey, entity, next)
      stats.quarantined = (await storage.quarantined()).length
      stats.passes++
      stats.lastPassAt = Date.now()
      if (stats.quarantined > 0) log.warn({ quarantined: stats.quarantined }, `scrub: ${stats.quarantined} damaged values are quarantined and could not be repaired yet (plexi admin scrub shows them)`)
      return { ...stats }
    } finally {
      stats.running = false
    }
  }

  /** The records after an entity's last one kept, up to the head its replica reports, were lost
   * too (a hole at the end of the log): each is repaired like any other. */
  async #checkTail (lastKey: string, entity: string, next: number): Promise<void> {
    if (lastKey === '') return
    const what = describeKey(lastKey)
    if (what.kind !== 'record') return
    const head = (await this.#opts.journal.core(what.partition).state(entity)).summary.head
    for (let seq = next; seq <= head && seq < next + MAX_HOLE; seq++) {
      // the head is now and the pass read an earlier view of the store: a record appended since
      // (the entity went on writing during the pass) is there now, and is no loss
      const key = recordKeyOf(lastKey, seq)
      const raw = await this.#opts.journal.storage.store.getRaw(key)
      if (raw !== undefined && intact(key, raw)) continue
      this.stats.corruptFound++
      await this.#handle(key)
    }
  }

  /** Quarantines a damaged value and repairs it when it can; true when it reads correctly after. */
  #handle (key: string): Promise<boolean> {
    let running = this.#repairing.get(key)
    if (running === undefined) {
      running = this.#repair(key).finally(() => { this.#repairing.delete(key) })
      this.#repairing.set(key, running)
    }
    return running
  }

  async #repair (key: string): Promise<boolean> {
    const { journal, log, self } = this.#opts
    const storage = journal.storage
    const raw = await storage.store.getRaw(key)
    const what = describeKey(key)
    if (raw === undefined) {
      // a record missing before its entity's head was lost; anything else missing was removed
      if (what.kind !== 'record' || what.seq > (await journal.core(what.partition).state(what.entity)).summary.head) return true
    } else {
      // overwritten since it was read (an owner rewrote it): nothing damaged now
      if (intact(key, raw)) return true
      await storage.quarantine(key, raw)
    }
    if (what.kind === 'other' || what.kind === 'state') {
      log.error({ key: printable(key) }, `scrub: ${printable(key)} is damaged and cannot be taken from another replica (${what.kind === 'state' ? "a replica's promise is its own" : 'node metadata'}); it stays quarantined, and owners use the other replicas`)
      return false
    }
    const live = this.#opts.live()
    const peers = journal.placement(what.partition).replicas.filter((n) => n !== self && live.has(n))
    const core = journal.core(what.partition)
    for (const node of peers) {
      try {
        if (what.kind === 'record') {
          const summary = await journal.call(node, { op: 'summary', entity: what.entity })
          const [record] = await journal.call(node, { op: 'read', entity: what.entity, from: what.seq, limit: 1 })
          if (record?.seq !== what.seq) continue
          if (await core.repair(what.entity, [record], summary) === 1) {
            this.stats.repaired++
            log.warn({ key: printable(key), peer: node }, `scrub: record ${what.seq} of ${what.entity} was ${raw === undefined ? 'missing' : 'damaged'} here; put back from ${node}`)
            return true
          }
        } else {
          const { summary } = await core.state(what.entity)
          const snapshot = await journal.call(node, { op: 'load-snapshot', entity: what.entity })
          if (snapshot === null || snapshot.seq !== summary.snapshotSeq) continue
          if (await storage.repairSnapshot(what.entity, snapshot)) {
            this.stats.repaired++
            log.warn({ key: printable(key), peer: node }, `scrub: the snapshot of ${what.entity} was damaged here; put back from ${node}`)
            return true
          }
        }
      } catch (err) {
        log.warn({ key: printable(key), peer: node, err }, `scrub: could not repair ${printable(key)} from ${node}: ${(err as Error).message}`)
      }
    }
    log.warn({ key: printable(key) }, `scrub: ${printable(key)} is damaged and no live replica could put it back yet; it stays quarantined (owners read other replicas) and is tried again at the next pass`)
    return false
  }
}


/** A key with its NUL separators shown as `/`. */
function printable (key: string): string {
  // eslint-disable-next-line no-control-regex
  return key.replace(/\x00/g, '/')
}
