import type { EntityJournal, Journal, JournalRecord, Snapshot } from '../../../actors/index.ts'
import type { WriteQuorum } from './write-quorum.ts'

/**
 * The node's journal behind a gate on the write quorum (docs/operations.md, "Quorum loss"): an
 * entity whose partition has fewer replicas up than taking it needs is refused at once
 * (ReplicasUnavailableError, kind unavailable) instead of asking replicas that cannot answer; an
 * activation whose partition lost its write quorum is not current (EntityJournal.current), so each
 * message it gets is refused with that error before it sees the state, the activation living on
 * for when the replicas are back; and the writes it had in flight fail at once (the activation
 * then stops, as when its replicas stop answering) instead of each waiting out its append timeout.
 * A client is told UNAVAILABLE and why, never a deadline.
 */
export class QuorumGatedJournal implements Journal {
  readonly #inner: Journal
  readonly #quorum: WriteQuorum
  /** The journals open here, by partition. */
  readonly #open = new Map<number, Set<GatedEntityJournal>>()

  constructor (inner: Journal, quorum: WriteQuorum) {
    this.#inner = inner
    this.#quorum = quorum
    // writes in flight cannot be acknowledged now: they fail at once, not at their timeout
    quorum.onBlocked((partitions) => {
      for (const p of partitions) {
        for (const journal of [...this.#open.get(p) ?? []]) if (journal.writing) journal.fail(quorum.writeRefusal(journal.entityId, p))
      }
    })
  }

  async open (entityId: string, handedOver?: unknown, signal?: AbortSignal): Promise<EntityJournal> {
    const partition = this.#quorum.partitionOf(entityId)
    this.#quorum.checkTake(entityId, partition)
    const inner = await this.#inner.open(entityId, handedOver, signal)
    const open = this.#open.get(partition) ?? new Set<GatedEntityJournal>()
    this.#open.set(partition, open)
    const journal: GatedEntityJournal = new GatedEntityJournal(entityId, partition, inner, this.#quorum, () => {
      open.delete(journal)
      if (open.size === 0 && this.#open.get(partition) === open) this.#open.delete(partition)
    })
    open.add(journal)
    return journal
  }
}

/** One activation's journal behind the gate: the inner one's, failed at once by the gate. */
class GatedEntityJournal implements EntityJournal {
  readonly entityId: string
  readonly #partition: number
  readonly #inner: EntityJournal
  readonly #quorum: WriteQuorum
  readonly #closed: () => void
  readonly #listeners: Array<(err: Error) => void> = []
  /** The rejections of the appends waiting on the inner journal. */
  readonly #waiting = new Set<(err: Error) => void>()
  #failure: Error | undefined
  /** The last seq acknowledged here (confirm's answer when the inner journal has no leases). */
  #durable: number

  constructor (entityId: string, partition: number, inner: EntityJournal, quorum: WriteQuorum, closed: () => void) {
    this.entityId = entityId
    this.#partition = partition
    this.#inner = inner
    this.#quorum = quorum
    this.#closed = closed
    this.#durable = inner.head
    inner.onFailed((err) => { this.#failed(err) })
  }

  get head (): number { return this.#inner.head }

  /** Whether appends wait on the replicas. */
  get writing (): boolean { return this.#waiting.size > 0 }

  append (records: readonly JournalRecord[]): Promise<void> {
    if (this.#failure === undefined && this.#quorum.blocked(this.#partition)) this.fail(this.#quorum.writeRefusal(this.entityId, this.#partition))
    if (this.#failure !== undefined) return Promise.reject(this.#failure)
    return new Promise<void>((resolve, reject) => {
      this.#waiting.add(reject)
      const settled = (): void => { this.#waiting.delete(reject) }
      // called here, in call order: appends land in the order they were made; no longer waiting
      // the moment it settles (what the caller does next may see the quorum lost)
      this.#inner.append(records).then(() => {
        settled()
        this.#durable = Math.max(this.#durable, records.at(-1)?.seq ?? 0)
        resolve()
      }, (err: unknown) => { settled(); reject(err) })
    })
  }

  /** Not while the partition has lost its write quorum: the kernel then confirms before a message
   * sees the state, and the confirmation is refused. */
  current (): boolean {
    return this.#failure === undefined && !this.#quorum.blocked(this.#partition) && (this.#inner.current?.() ?? true)
  }

  async confirm (): Promise<number> {
    if (this.#failure !== undefined) throw this.#failure
    if (this.#quorum.blocked(this.#partition)) throw this.#quorum.writeRefusal(this.entityId, this.#partition, 'a read or a write')
    return this.#inner.confirm === undefined ? this.#durable : await this.#inner.confirm()
  }

  get floor (): number { return this.#inner.floor ?? 1 }

  heldBy (node: string): number { return this.#inner.heldBy?.(node) ?? 0 }

  /** Refused at once while the partition has lost its write quorum, as an append is. */
  async rewrite (records: readonly JournalRecord[]): Promise<void> {
    await this.#edit('rewrite')
    if (this.#inner.rewrite === undefined) throw new RangeError(`${this.entityId}: this journal cannot rewrite records`)
    await this.#inner.rewrite(records)
  }

  async trim (before: number, snapshot: Snapshot): Promise<void> {
    await this.#edit('trim')
    if (this.#inner.trim === undefined) throw new RangeError(`${this.entityId}: this journal cannot trim`)
    await this.#inner.trim(before, snapshot)
  }

  async #edit (what: string): Promise<void> {
    if (this.#failure !== undefined) throw this.#failure
    if (this.#quorum.blocked(this.#partition)) throw this.#quorum.writeRefusal(this.entityId, this.#partition, `a ${what}`)
  }

  async read (options: { from: number, limit: number }): Promise<JournalRecord[]> { return await this.#inner.read(options) }
  replay (from: number): AsyncIterable<JournalRecord> { return this.#inner.replay(from) }
  async loadSnapshot (): Promise<Snapshot | undefined> { return await this.#inner.loadSnapshot() }
  async saveSnapshot (snapshot: Snapshot): Promise<void> { await this.#inner.saveSnapshot(snapshot) }

  onFailed (listener: (err: Error) => void): void {
    this.#listeners.push(listener)
  }

  handOver (): unknown {
    return this.#failure === undefined ? this.#inner.handOver?.() : undefined
  }

  close (): void {
    this.#closed()
    this.#inner.close()
  }

  /** The partition lost its write quorum while writes waited: they fail with `err`, the activation
   * is told (it stops), and the inner journal lets go (what reached the replicas is the next
   * activation's to recover). */
  fail (err: Error): void {
    if (this.#failure !== undefined) return
    this.#failed(err)
    this.close()
  }

  #failed (err: Error): void {
    if (this.#failure !== undefined) return
    this.#failure = err
    for (const reject of [...this.#waiting]) reject(err)
    this.#waiting.clear()
    for (const listener of this.#listeners) listener(err)
  }
}
