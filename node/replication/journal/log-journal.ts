import { randomUUID } from 'node:crypto'
import type { EntityJournal, JournalRecord, Snapshot } from '../../../actors/index.ts'
import type { EntityLog } from './entity-log.ts'
import type { StoredSnapshot } from '../replica/replica-protocol.ts'

/** The append counters an entity's journal keeps (ReplicationStats has them). */
export interface AppendStats {
  appends: number
  appendedRecords: number
  observeQuorum: (ms: number) => void
}

/**
 * One activation's journal as the kernel sees it (EntityJournal), over the owner's log. One object
 * whose methods sit on the class, not a closure per method per activation (an active entity keeps
 * its journal as long as it lives; docs/performance.md).
 */
export class LogJournal implements EntityJournal {
  readonly head: number
  readonly #log: EntityLog
  readonly #listeners: Array<(err: Error) => void>
  readonly #stats: AppendStats | undefined
  readonly #closed: () => void

  /** `listeners`: where a failure listener waits for the log to fail; `closed`: told once the log
   * is closed or handed over. */
  constructor (log: EntityLog, listeners: Array<(err: Error) => void>, stats: AppendStats | undefined, closed: () => void) {
    this.head = log.head
    this.#log = log
    this.#listeners = listeners
    this.#stats = stats
    this.#closed = closed
  }

  get floor (): number { return this.#log.floor }
  heldBy (node: string): number { return this.#log.heldBy(node) }
  async rewrite (records: ReadonlyArray<{ seq: number, event: unknown }>): Promise<void> { await this.#log.rewrite(records) }
  async trim (before: number, snapshot: Snapshot): Promise<void> { await this.#log.trim(before, snapshot as StoredSnapshot) }

  append (records: readonly JournalRecord[]): Promise<void> {
    const stats = this.#stats
    if (stats === undefined) return this.#log.append(records)
    const started = performance.now()
    stats.appends++
    stats.appendedRecords += records.length
    const done = this.#log.append(records)
    done.then(() => { stats.observeQuorum(performance.now() - started) }, noop)
    return done
  }

  async read ({ from, limit }: { from: number, limit: number }): Promise<JournalRecord[]> {
    return (await this.#log.read(from, limit)).map((r) => ({ seq: r.seq, event: r.event }))
  }

  current (): boolean { return this.#log.current() }
  async confirm (): Promise<number> { return await this.#log.confirm() }

  async * replay (from: number): AsyncGenerator<JournalRecord> {
    for await (const r of this.#log.replay(from)) yield { seq: r.seq, event: r.event }
  }

  async loadSnapshot (): Promise<Snapshot | undefined> { return await this.#log.loadSnapshot() as Snapshot | undefined }
  saveSnapshot (snapshot: Snapshot): Promise<void> { return this.#log.saveSnapshot(snapshot as StoredSnapshot) }

  onFailed (listener: (err: Error) => void): void {
    const failed = this.#log.failed
    if (failed !== undefined) listener(failed)
    else this.#listeners.push(listener)
  }

  handOver (): unknown {
    const ticket = this.#log.handOver(randomUUID())
    if (ticket !== undefined) this.#closed()
    return ticket
  }

  close (): void {
    this.#log.close()
    this.#closed()
  }
}

function noop (): void {}
