import { ReplicasUnavailableError, StaleEpochError } from '../errors.ts'
import { EntityLog } from '../journal/entity-log.ts'
import { majority } from '../journal/quorum.ts'
import type { OwnerEnv, OwnerLog } from '../journal/owner-env.ts'
import { applyChange, checkRosterVersion, firstVersion, journalQuorum, journalSet, sameVersion } from './roster-entry.ts'
import type { RosterChange, RosterVersion, VersionMember } from './roster-entry.ts'

/** The roster journal's entity: record seq v holds roster version v. */
export const ROSTER_ENTITY = 'roster/storage'
/** Takes in a row a keeper makes while the journal holds versions its node had not applied. */
const CATCH_UP_TAKES = 8

export interface RosterKeeperOptions {
  /** Reaches the roster journal's replica on each storage node. */
  readonly env: OwnerEnv
  readonly self?: string
  /** The versions this node applied, in order: the latest, and the one before it (whose set is
   * fenced too) when there is one. Empty: none yet (`form` then says what version 1 is). */
  readonly applied: readonly RosterVersion[]
  /** The roster a cluster forms with when the journal holds nothing (this node alone, as a rule). */
  readonly form?: readonly VersionMember[]
  /** Names this keeper's activations (each take adds `.n`). */
  readonly activation: string
  /** Told of each version the keeper adds or reads beyond what its node applied, in order: the node
   * applies it (and keeps it) before anything is planned under it. */
  readonly onVersion: (v: RosterVersion) => void
  /** Told of a newer version a replica refused this keeper for: its node is behind, and learns the
   * versions from the keeper that wrote them. */
  readonly onNewer?: (version: number) => void
  readonly log?: OwnerLog
  readonly appendTimeoutMs?: number
}

/** A proposal's outcome: the version it made, or why none (the roster moved on, or the change
 * does not apply to it: proposed twice, or on an older view). */
export type Proposal =
  | { readonly ok: true, readonly version: RosterVersion }
  | { readonly ok: false, readonly head: RosterVersion, readonly why: string }

/**
 * The roster journal's owner (docs/replication.md, "Roster versions"): the one place where roster
 * changes are ordered. It holds the journal taken under the latest version its node applied, on
 * every storage node of that version (not replaced) at a majority, fencing the set of the version
 * before too (all but fewer than its quorum), and carries its version in every request, so that a
 * replica that stored a newer one refuses it. A change is a compare-and-set on the latest version:
 * applied to it, appended as the next version (written under the one before), and then the
 * journal is taken again under the new version, which stores it on both sets: an owner under the
 * older one is refused from then on. One operation at a time.
 */
export class RosterKeeper {
  readonly #opts: RosterKeeperOptions
  /** The versions known, the latest last (two kept: the latest and the one before). */
  #versions: RosterVersion[]
  #log: EntityLog | undefined
  #takes = 0
  #newer = 0
  /** The highest epoch any of this keeper's takes tried (each take goes above it). */
  #epoch = 0
  #turn: Promise<unknown> = Promise.resolve()
  #failure: Error | undefined

  private constructor (opts: RosterKeeperOptions) {
    this.#opts = opts
    this.#versions = [...opts.applied].slice(-2)
  }

  /** Takes the roster journal under the latest version the node applied; where the journal goes
   * further, the keeper reads on, tells its node each version, and takes it again under the latest. */
  static async open (opts: RosterKeeperOptions): Promise<RosterKeeper> {
    const keeper = new RosterKeeper(opts)
    await keeper.#take()
    return keeper
  }

  /** The latest version. */
  get head (): RosterVersion { return this.#versions[this.#versions.length - 1] as RosterVersion }

  /** Why the keeper stopped (its journal failed: a newer keeper took it, or too few replicas
   * answered); a keeper that failed takes nothing more (open another). */
  get failed (): Error | undefined { return this.#failure }

  /** Applies `change` to version `base` when it is the latest, as the next version. Rejects when the
   * journal fails meanwhile (a newer keeper took it, too few replicas answer): the change may then
   * have been made or not (a version made is told through onVersion either way). */
  propose (base: number, change: RosterChange): Promise<Proposal> {
    return this.#inTurn(async () => {
      await this.#stillHeld()
      const head = this.head
      if (base !== head.version) return { ok: false, head, why: `proposed on version ${base}, the roster is at version ${head.version}` }
      const next = applyChange(head, change)
      if ('refused' in next) return { ok: false, head, why: next.refused }
      await this.#logNow().append([{ seq: next.version, event: next }])
      this.#learn(next)
      await this.#take()
      return { ok: true, version: next }
    })
  }

  /** The versions from `from` to the latest, read from the journal (each checked against the one
   * before it, from version 1). */
  entries (from: number): Promise<RosterVersion[]> {
    return this.#inTurn(async () => {
      await this.#stillHeld()
      return (await this.#read(this.#logNow(), 1, undefined)).filter((v) => v.version >= from)
    })
  }

  /**
   * Whether this keeper still holds the journal, asked of a majority of its set before anything is
   * answered (a keeper that sat idle while another took the journal would answer from an old head):
   * a replica that promised a newer epoch fails it (StaleEpochError, superseded: open another).
   * Changes are safe without it (every append is fenced); answers are current with it.
   */
  async #stillHeld (): Promise<void> {
    const log = this.#logNow()
    const nodes = journalSet(this.head)
    const answers = await Promise.allSettled(nodes.map(async (n) => await this.#opts.env.call(n, { op: 'summary', entity: ROSTER_ENTITY })))
    const newer = answers.find((a) => a.status === 'fulfilled' && a.value.promised > log.epoch)
    if (newer !== undefined) {
      this.#failure ??= new StaleEpochError(ROSTER_ENTITY, log.epoch, (newer as PromiseFulfilledResult<{ promised: number }>).value.promised)
      log.close()
      throw this.#failure
    }
    const answered = answers.filter((a) => a.status === 'fulfilled').length
    if (answered < majority(nodes.length)) throw new ReplicasUnavailableError(ROSTER_ENTITY, 'confirming the roster keeper', majority(nodes.length), answered)
  }

  close (): void {
    this.#log?.close()
    this.#log = undefined
    this.#failure ??= new Error('the roster keeper was closed')
  }

  #logNow (): EntityLog {
    if (this.#failure !== undefined) throw this.#failure
    if (this.#log === undefined) throw new Error('the roster keeper holds no journal')
    return this.#log
  }

  #inTurn<T> (fn: () => Promise<T>): Promise<T> {
    const run = this.#turn.then(fn, fn)
    this.#turn = run.catch(() => {})
    return run
  }

  #learn (v: RosterVersion): void {
    this.#versions = [...this.#versions, v].slice(-2)
    this.#opts.onVersion(v)
  }

  /** The journal's versions after `prev` (from 1 without it) up to what W replicas hold, each
   * checked against the one before. */
  async #read (log: EntityLog, from: number, prev: RosterVersion | undefined): Promise<RosterVersion[]> {
    const out: RosterVersion[] = []
    let last = prev
    for (let seq = from; seq <= log.committed;) {
      const page = await log.read(seq, Math.min(64, log.committed - seq + 1))
      if (page.length === 0) break
      for (const r of page) {
        last = checkRosterVersion(r.event, last)
        out.push(last)
      }
      seq = (page[page.length - 1] as { seq: number }).seq + 1
    }
    return out
  }

  /** Takes the journal under the latest version known; where it holds later ones, reads them (its
   * node applies each) and takes it again under the latest. */
  async #take (): Promise<void> {
    try {
      await this.#takeOnce()
    } catch (err) {
      // (a keeper whose take failed holds no journal: it is failed, and its service opens another,
      // rather than answering every later call with no journal)
      this.#failure ??= err as Error
      throw err
    }
  }

  async #takeOnce (): Promise<void> {
    for (let i = 0; i < CATCH_UP_TAKES; i++) {
      this.#log?.close()
      this.#log = undefined
      const formed = this.#versions.length === 0 && this.#opts.form !== undefined ? firstVersion(this.#opts.form) : undefined
      const cur = formed ?? this.#versions[this.#versions.length - 1]
      if (cur === undefined) throw new Error('the roster keeper knows no version and forms none')
      const log = await this.#open(cur, formed === undefined ? this.#versions[this.#versions.length - 2] : undefined).catch(async (err: unknown) => {
        // refused for a newer version: the versions up to it are read off the replicas, and the
        // journal taken again under the latest
        if ((err as Error).name !== 'RosterChangedError' || formed !== undefined || this.#newer <= cur.version) throw err
        for (const v of await this.#readOn(cur, this.#newer)) this.#learn(v)
        return undefined
      })
      if (log === undefined) continue
      this.#log = log
      if (formed !== undefined && log.head === 0) {
        await log.append([{ seq: 1, event: formed }])
        this.#learn(formed)
        continue
      }
      if (formed === undefined && log.head === cur.version) {
        // (the journal's latest must be the version this node applied: anything else is a fork)
        const [held] = await log.read(cur.version, 1)
        if (held === undefined || !sameVersion(checkRosterVersion(held.event), cur)) throw new Error(`the roster journal's version ${cur.version} is not the one this node applied`)
        return
      }
      if (log.head < cur.version) throw new Error(`the roster journal reads up to version ${log.head}, this node applied version ${cur.version}`)
      // later versions than this node applied (or a roster formed elsewhere): read, applied, taken again
      const known = formed === undefined ? cur : undefined
      for (const v of await this.#read(log, (known?.version ?? 0) + 1, known)) this.#learn(v)
    }
    throw new Error(`the roster journal kept moving on over ${CATCH_UP_TAKES} takes`)
  }

  /**
   * The versions after `cur` up to `newer`, read off the replicas without taking the journal (a
   * replica refused this keeper for `newer`: it was stored by a take under it, so every version up
   * to it was acknowledged). Version v + 1 was written under v, on W of v's set: read off a majority
   * of that set, it is the copy of the highest epoch among them (an older keeper's copy that was
   * never acknowledged is of a lower one; a later keeper sealed the acknowledged one again as it was).
   */
  async #readOn (cur: RosterVersion, newer: number): Promise<RosterVersion[]> {
    const out: RosterVersion[] = []
    let prev = cur
    for (let seq = cur.version + 1; seq <= newer; seq++) {
      const nodes = journalSet(prev)
      const answers = await Promise.allSettled(nodes.map(async (n) => await this.#opts.env.call(n, { op: 'read', entity: ROSTER_ENTITY, from: seq, limit: 1 })))
      const copies = answers.flatMap((a) => a.status === 'fulfilled' ? a.value : []).filter((r) => r.seq === seq)
      const answered = answers.filter((a) => a.status === 'fulfilled').length
      const best = copies.sort((a, b) => b.epoch - a.epoch)[0]
      if (answered < majority(nodes.length) || best === undefined) throw new ReplicasUnavailableError(ROSTER_ENTITY, `reading roster version ${seq}`, majority(nodes.length), answered)
      prev = checkRosterVersion(best.event, prev)
      out.push(prev)
    }
    return out
  }

  async #open (cur: RosterVersion, before: RosterVersion | undefined): Promise<EntityLog> {
    const replicas = journalSet(cur)
    const older = before === undefined ? [] : journalSet(before)
    const { env, self, log, appendTimeoutMs } = this.#opts
    return await EntityLog.open({
      entityId: ROSTER_ENTITY,
      replicas,
      writeQuorum: journalQuorum(cur),
      formerHolders: older.filter((n) => !replicas.includes(n)),
      ...(before !== undefined && { olderSets: [{ nodes: older, writeQuorum: journalQuorum(before) }] }),
      version: cur.version,
      minEpoch: this.#epoch + 1,
      tried: (epoch) => { this.#epoch = Math.max(this.#epoch, epoch) },
      newerVersion: (v) => {
        this.#newer = Math.max(this.#newer, v)
        this.#opts.onNewer?.(v)
      },
      stale: () => this.#newer > cur.version,
      activation: `${this.#opts.activation}.${++this.#takes}`,
      env,
      ...(self !== undefined && { self }),
      ...(log !== undefined && { log }),
      ...(appendTimeoutMs !== undefined && { appendTimeoutMs }),
      onFailed: (err) => { this.#failure ??= err }
    })
  }
}
