import { PeriodicService, ServiceFailures } from '../../services/index.ts'
import type { LevelStore } from '../../storage/index.ts'
import { CATCH_UP_CHECK_MS, CATCH_UP_PARALLEL, CATCH_UP_ROUNDS, QUORUM_SAVE_MS } from '../constants.ts'
import { majority } from '../journal/quorum.ts'
import type { ReplicatedJournal } from '../journal/replicated-journal.ts'
import { serviceLog } from '../service-log.ts'
import type { TakeOverResult } from './pull-until-clean.ts'
import { pullUntilClean } from './pull-until-clean.ts'

/** The partitions this node's replicas hold whole (caught up), in the data dir. */
const CAUGHT_UP_KEY = 'm\x00caught-up'
/** When this node last saw a majority of the storage nodes (ms since the epoch), in the data dir. */
const QUORUM_SEEN_KEY = 'm\x00quorum-seen-at'

/** The storage roster as catch-up reads and changes it (storage-roster.ts). */
export interface CatchUpRoster {
  known (): ReadonlyArray<{ readonly peerId: string }>
  candidates (): ReadonlyArray<{ readonly peerId: string }>
  isLeaving (peerId: string): boolean
  isReplaced (peerId: string): boolean
  replace (peerId: string): boolean
  /** Each partition's earlier replica sets not yet settled (roster versions; absent without). */
  readonly configs?: { earlierOf (partition: number): readonly unknown[] | undefined } | undefined
}

/** Where this node's replicas stand (admin). */
export interface CatchUpStatus {
  /** Partitions this node is a replica of. */
  partitions: number
  /** Of those, the ones it holds whole (it counts as a full replica of them) and whose last
   * hand-off is settled (no earlier replica set can still hold a record the partition's set does
   * not: docs/replication.md, "When a hand-off is settled"). */
  caughtUp: number
  /** What keeps the others back, in words (a holder down, a pull that failed). */
  waiting: string[]
  /** Storage nodes replaced in the roster this node places by: those it found down past
   * replica-replace-after itself, and (under roster versions) those a version it applied names
   * replaced, whoever's timer proposed it. */
  replaced: string[]
}

export interface CatchUpOptions {
  readonly self: string
  readonly journal: ReplicatedJournal
  readonly store: LevelStore
  readonly roster: CatchUpRoster
  /** False for a node alone (no cluster key): every partition is its own, nothing to catch up. */
  readonly cluster: boolean
  /** The members heard, as membership sees them (status, and when each was last heard). */
  readonly members: () => ReadonlyArray<{ readonly peerId: string, readonly status: string, readonly lastSeen: number }>
  /** Pulls from `from` everything it holds of `partition` that this node misses (anti-entropy's
   * take-over, without a budget). */
  readonly pull: (partition: number, from: string) => Promise<TakeOverResult>
  /** config replica-replace-after (ms; 0: storage nodes are never replaced). */
  readonly replaceAfterMs: number
  readonly replicationFactor: number
  /** @default CATCH_UP_CHECK_MS */
  readonly intervalMs?: number
  /** The roster changed here (a node replaced): open journals and hand-offs follow it. */
  readonly onRosterChanged: () => void
  readonly now?: () => number
  readonly log: { info (obj: object, msg: string): void, warn (obj: object, msg: string): void }
  /** Where the loop's failed checks are counted (one per node, shared by its services).
   * @default a ServiceFailures of its own */
  readonly failures?: ServiceFailures
}

/**
 * Replica moves on one storage node (docs/replication.md, "Replica moves"):
 *
 * - **Learners catch up.** A partition this node became a replica of (it joined, another left or
 *   was replaced) is a learner here until it pulled everything from every other storage node
 *   that may hold it (every known one that is neither replaced nor gone after a hand-off) until
 *   a pull took nothing from each: only then does it count as a full replica (ReplicaCore
 *   setLearner; owners read every replica of a set with a learner). The partitions it holds whole
 *   are kept in the data dir; one it stops being a replica of is forgotten, so that it catches up
 *   again if it becomes one again.
 * - **Replacing a node that stays down.** A storage node down longer than `replica-replace-after`
 *   is replaced (StorageRoster.replace): placement leaves it out and its partitions' new replicas
 *   catch up from the others, with nothing to wait for from it. Only a node that sees a majority of
 *   the storage nodes decides it, and only while enough others remain for every partition.
 * - **A node that may have been replaced catches up again.** One that did not see a majority of
 *   the storage nodes for half of `replica-replace-after` (it was stopped, or cut off) forgets the
 *   partitions it held whole: the others may have replaced it and written without it.
 */
export class CatchUp {
  readonly #opts: CatchUpOptions
  readonly #caughtUp: Set<number>
  readonly #now: () => number
  #quorumSeenAt: number
  #quorumSavedAt = 0
  /** When each known storage node was first seen missing or down by this node (ms). */
  readonly #missingSince = new Map<string, number>()
  readonly #replaced: string[] = []
  /** Said once: no node is replaced while the write quorum is 1. */
  #warnedSingleQuorum = false
  #waiting: string[] = []
  readonly #service: PeriodicService
  #running: Promise<void> | undefined
  #stopped = false

  private constructor (opts: CatchUpOptions, caughtUp: Set<number>, quorumSeenAt: number) {
    this.#opts = opts
    this.#caughtUp = caughtUp
    this.#now = opts.now ?? Date.now
    this.#quorumSeenAt = quorumSeenAt
    this.#service = new PeriodicService({
      name: 'catch-up',
      run: async () => { await this.runOnce() },
      intervalMs: opts.intervalMs ?? CATCH_UP_CHECK_MS,
      // the first check at once: a new node's partitions start catching up as soon as it is up
      runAtStart: true,
      failures: opts.failures ?? new ServiceFailures(),
      log: serviceLog(opts.log)
    })
  }

  /**
   * Reads what the data dir says this node holds whole and marks every other partition's replica
   * a learner, before any owner asks it. A data dir of the previous version (replica data, nothing
   * said) holds whole the partitions it is a replica of now, as it did.
   */
  static async open (opts: CatchUpOptions): Promise<CatchUp> {
    const { journal, store, log } = opts
    const now = (opts.now ?? Date.now)()
    const saved = await store.get(CAUGHT_UP_KEY)
    let caughtUp: Set<number>
    if (saved !== undefined) {
      caughtUp = new Set((JSON.parse(new TextDecoder().decode(saved)) as number[]).filter((p) => Number.isSafeInteger(p) && p >= 0 && p < journal.partitions))
    } else {
      const held = Array.from({ length: journal.partitions }, (_, p) => p).some((p) => journal.storage.tree(p).records > 0)
      caughtUp = new Set(held ? Array.from({ length: journal.partitions }, (_, p) => p).filter((p) => journal.placement(p).replicas.includes(opts.self)) : [])
    }
    const seenBytes = await store.get(QUORUM_SEEN_KEY)
    const seen = seenBytes === undefined ? now : Number(new TextDecoder().decode(seenBytes))
    const c = new CatchUp(opts, caughtUp, Number.isFinite(seen) ? Math.min(seen, now) : now)
    if (opts.cluster && opts.replaceAfterMs > 0 && caughtUp.size > 0 && now - c.#quorumSeenAt > opts.replaceAfterMs / 2) {
      log.warn({ awayMs: now - c.#quorumSeenAt }, `this node was away from the other storage nodes for ${Math.round((now - c.#quorumSeenAt) / 1000)} s (more than half of replica-replace-after): they may have replaced it and written without it, so its replicas catch up again before they count as full ones`)
      caughtUp.clear()
    }
    if (saved === undefined || caughtUp.size === 0) await c.#save()
    c.#applyFlags()
    return c
  }

  /** Checks from now on (a node alone has nothing to catch up): the first at once, the next each
   * an interval after the last ended. */
  start (): void {
    if (!this.#opts.cluster || this.#stopped) return
    this.#service.start()
  }

  /** No check starts after this; one running stops catching up more partitions and is waited for. */
  async stop (): Promise<void> {
    this.#stopped = true
    await this.#service.stop()
  }

  /** Whether this node holds `partition` whole (counts as a full replica of it). */
  caughtUp (partition: number): boolean { return !this.#opts.cluster || this.#caughtUp.has(partition) }

  get status (): CatchUpStatus {
    const { journal, self, roster } = this.#opts
    let partitions = 0
    let caughtUp = 0
    let unsettled = 0
    for (let p = 0; p < journal.partitions; p++) {
      if (!journal.placement(p).replicas.includes(self)) continue
      partitions++
      if (!this.caughtUp(p)) continue
      if ((roster.configs?.earlierOf(p)?.length ?? 0) === 0) caughtUp++
      else unsettled++
    }
    // (a version applied here may name a node replaced before this node's own timer did: its
    // placement moved all the same)
    const replaced = new Set([...this.#replaced, ...roster.known().map((c) => c.peerId).filter((n) => roster.isReplaced(n))])
    const waiting = unsettled === 0 ? [...this.#waiting] : [...this.#waiting, `${unsettled} partition${unsettled === 1 ? '' : 's'} held whole, ${unsettled === 1 ? 'its' : 'their'} hand-off not settled yet`]
    return { partitions, caughtUp, waiting, replaced: [...replaced] }
  }

  /** One check (one at a time: a check already running is joined). */
  runOnce (): Promise<void> {
    this.#running ??= this.#check().finally(() => { this.#running = undefined })
    return this.#running
  }

  async #check (): Promise<void> {
    if (!this.#opts.cluster) return
    const self = this.#opts.self
    const now = this.#now()
    const members = new Map(this.#opts.members().map((m) => [m.peerId, m]))
    const live = (n: string): boolean => n === self || (members.get(n) !== undefined && members.get(n)?.status !== 'down')
    // 1. does this node see a majority of the storage nodes (itself included)?
    const { quorum, dirty } = await this.#seeQuorum(now, live)
    // 2. storage nodes down past replica-replace-after are replaced (decided only with a majority
    // in sight, and only while enough others remain for every partition)
    this.#replaceDown(now, members, live, quorum)
    // 3. partitions this node is no longer a replica of are forgotten (caught up again if it
    // becomes one again); the others it does not hold whole catch up
    await this.#learn(live, dirty)
  }

  /** Whether this node sees a majority of the storage nodes now (when it does, the time is kept,
   * and written down now and then); cut off for half of replica-replace-after, it forgets what it
   * held whole (dirty: that must be saved). */
  async #seeQuorum (now: number, live: (n: string) => boolean): Promise<{ quorum: boolean, dirty: boolean }> {
    const { roster, log } = this.#opts
    const voters = roster.known().map((c) => c.peerId).filter((n) => !roster.isReplaced(n) && !(roster.isLeaving(n) && !live(n)))
    const quorum = voters.filter(live).length >= majority(Math.max(1, voters.length))
    let dirty = false
    if (quorum) {
      this.#quorumSeenAt = now
      if (now - this.#quorumSavedAt >= QUORUM_SAVE_MS) {
        this.#quorumSavedAt = now
        await this.#opts.store.write([{ type: 'put', key: QUORUM_SEEN_KEY, value: new TextEncoder().encode(String(now)) }])
      }
    } else if (this.#opts.replaceAfterMs > 0 && this.#caughtUp.size > 0 && now - this.#quorumSeenAt > this.#opts.replaceAfterMs / 2) {
      log.warn({ cutOffMs: now - this.#quorumSeenAt }, `this node has not seen a majority of the storage nodes for ${Math.round((now - this.#quorumSeenAt) / 1000)} s (half of replica-replace-after): they may replace it and write without it, so its replicas catch up again before they count as full ones`)
      this.#caughtUp.clear()
      dirty = true
    }
    return { quorum, dirty }
  }

  /** Replaces the storage nodes down longer than replica-replace-after (StorageRoster.replace). */
  #replaceDown (now: number, members: ReadonlyMap<string, { readonly lastSeen: number }>, live: (n: string) => boolean, quorum: boolean): void {
    const { roster, journal, self, log } = this.#opts
    for (const { peerId } of roster.known()) {
      if (peerId === self || roster.isLeaving(peerId) || roster.isReplaced(peerId)) continue
      if (live(peerId)) {
        this.#missingSince.delete(peerId)
        continue
      }
      const heard = members.get(peerId)?.lastSeen
      const since = Math.min(this.#missingSince.get(peerId) ?? now, heard ?? now)
      this.#missingSince.set(peerId, since)
      if (this.#opts.replaceAfterMs <= 0 || !quorum || now - since < this.#opts.replaceAfterMs) continue
      if (roster.candidates().length - 1 < this.#opts.replicationFactor) continue
      // with a write quorum of 1 a record is acknowledged once one replica holds it: the node down
      // may hold the only copy, so it is never replaced on a timer (docs/replication.md, I6)
      if (journal.placement(0).writeQuorum < 2) {
        if (!this.#warnedSingleQuorum) log.warn({ peer: peerId }, `storage node ${peerId} has been down for ${Math.round((now - since) / 1000)} s (replica-replace-after), but it is not replaced: with write-quorum 1 it may hold the only copy of acknowledged records`)
        this.#warnedSingleQuorum = true
        continue
      }
      if (roster.replace(peerId)) {
        this.#replaced.push(peerId)
        log.warn({ peer: peerId, downMs: now - since }, `storage node ${peerId} has been down for ${Math.round((now - since) / 1000)} s (replica-replace-after): replaced; its partitions' new replicas catch up from the other replicas`)
        this.#opts.onRosterChanged()
      }
    }
  }

  /** Forgets the partitions this node is no longer a replica of, and catches up on the others it
   * does not hold whole, a few at a time. */
  async #learn (live: (n: string) => boolean, dirty: boolean): Promise<void> {
    const { journal, self, log } = this.#opts
    const learning: number[] = []
    for (let p = 0; p < journal.partitions; p++) {
      const mine = journal.placement(p).replicas.includes(self)
      if (!mine && this.#caughtUp.delete(p)) dirty = true
      if (mine && !this.#caughtUp.has(p)) learning.push(p)
    }
    if (dirty) await this.#save()
    this.#applyFlags()
    const waiting: string[] = []
    let next = 0
    let done = 0
    await Promise.all(Array.from({ length: Math.min(CATCH_UP_PARALLEL, learning.length) }, async () => {
      while (next < learning.length && !this.#stopped) {
        const p = learning[next++] as number
        const why = await this.#catchUp(p, live)
        if (why !== undefined) {
          waiting.push(why)
          continue
        }
        // still a replica of it (the roster may have moved meanwhile)
        if (!journal.placement(p).replicas.includes(self)) continue
        this.#caughtUp.add(p)
        journal.core(p).setLearner(false)
        done++
      }
    }))
    if (done > 0) {
      await this.#save()
      log.info({ partitions: done, left: learning.length - done }, `caught up on ${done} partitions: a full replica of them now${learning.length > done ? ` (${learning.length - done} still catching up)` : ''}`)
    }
    this.#waiting = waiting
  }

  /** Pulls one partition from every other possible holder until a pull takes nothing from each;
   * undefined when done, else why not. */
  async #catchUp (p: number, live: (n: string) => boolean): Promise<string | undefined> {
    const { roster, journal, self } = this.#opts
    // every known storage node may hold records of it (it may have been a replica under an
    // earlier roster), but a replaced one (gone) and a leaving one that is down (it handed off)
    const sources = roster.known().map((c) => c.peerId).filter((n) => n !== self && !roster.isReplaced(n) && !(roster.isLeaving(n) && !live(n)))
    const down = sources.filter((n) => !live(n))
    if (down.length > 0) return `partition ${p}: waiting for ${down.join(', ')} (down; it may hold records of it, until it is back or replaced after replica-replace-after)`
    for (const node of sources) {
      if (this.#stopped) return `partition ${p}: stopped`
      const why = await pullUntilClean(journal, p, `pulling from ${node}`, async () => await this.#opts.pull(p, node), CATCH_UP_ROUNDS)
      if (why !== undefined) return why
    }
    return undefined
  }

  #applyFlags (): void {
    const { journal } = this.#opts
    for (let p = 0; p < journal.partitions; p++) journal.core(p).setLearner(this.#opts.cluster && !this.#caughtUp.has(p))
  }

  async #save (): Promise<void> {
    await this.#opts.store.write([{ type: 'put', key: CAUGHT_UP_KEY, value: new TextEncoder().encode(JSON.stringify([...this.#caughtUp].sort((a, b) => a - b))) }])
  }
}
