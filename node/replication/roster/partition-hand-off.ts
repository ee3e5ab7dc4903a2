import { PeriodicService, ServiceFailures } from '../../services/index.ts'
import { HAND_OFF_PARALLEL, HAND_OFF_ROUNDS } from '../constants.ts'
import type { ReplicatedJournal } from '../journal/replicated-journal.ts'
import { serviceLog } from '../service-log.ts'
import { pullUntilClean } from './pull-until-clean.ts'
import type { TakeOverResult } from './pull-until-clean.ts'

/** Where the partition hand-off of a leaving node stands (admin). */
export interface PartitionHandOffStatus {
  /** idle: this node is not leaving; handing-off: partitions are being taken over; done: every
   * partition it held has been taken by its new replicas (it may be stopped). */
  state: 'idle' | 'handing-off' | 'done'
  /** Partitions it holds records of and is no longer a replica of. */
  partitions: number
  /** Of those, the ones every new replica took whole. */
  done: number
  /** What is still in the way, in words (a new replica down, a pull that failed). */
  waiting: string[]
  /** ms since the epoch of the last change of state (0: never). */
  since: number
}

export interface PartitionHandOffOptions {
  readonly self: string
  readonly journal: ReplicatedJournal
  /** Whether this node is leaving (it lost the storage role). */
  readonly leaving: () => boolean
  /** Members heard and not down. */
  readonly live: () => ReadonlySet<string>
  /** Asks `node` to take everything this node holds of `partition` that it misses. */
  readonly takeOver: (node: string, partition: number) => Promise<TakeOverResult>
  /** ms between the end of a check and the start of the next (a hand-off starts at the next one
   * after the node learns it is leaving); 0: only when asked (runOnce). */
  readonly intervalMs: number
  readonly log: { info (obj: object, msg: string): void, warn (obj: object, msg: string): void }
  /** Where the loop's failed checks are counted (one per node, shared by its services).
   * @default a ServiceFailures of its own */
  readonly failures?: ServiceFailures
}

/**
 * The partition hand-off: a leaving storage node hands its partitions off to their new replicas
 * (docs/replication.md, "Decommissioning a storage node"): for every partition it holds records of and is no longer a replica of, each of the
 * partition's replicas pulls from it until a pull takes nothing. An entity whose log here is the
 * one recovery would choose (a tail of a newer epoch than a new replica's) is recovered through a
 * journal open, which writes it to the new replicas. Until every partition is handed off, owners
 * still fence this node as a former holder, so nothing it holds is missed; once it is, every
 * record it held is on the new replicas and the node may be stopped. The write quorum is the new
 * replicas' throughout.
 */
export class PartitionHandOff {
  readonly status: PartitionHandOffStatus = { state: 'idle', partitions: 0, done: 0, waiting: [], since: 0 }
  readonly #opts: PartitionHandOffOptions
  readonly #service: PeriodicService
  #running: Promise<PartitionHandOffStatus> | undefined
  #stopped = false

  constructor (opts: PartitionHandOffOptions) {
    this.#opts = opts
    this.#service = new PeriodicService({
      name: 'partition-hand-off',
      // a check does something only while this node is leaving and has not handed everything off
      run: async () => { if (this.#opts.leaving() && this.status.state !== 'done') await this.runOnce() },
      intervalMs: opts.intervalMs,
      failures: opts.failures ?? new ServiceFailures(),
      log: serviceLog(opts.log)
    })
  }

  /** Checks from now on, the first one interval after this. */
  start (): void {
    if (this.#stopped) return
    this.#service.start()
  }

  /** No check starts after this; a pass running stops handing off more partitions and is waited for. */
  async stop (): Promise<void> {
    this.#stopped = true
    await this.#service.stop()
  }

  /** The roster changed: a node that is a storage node again is not handing off, and its
   * replicas take writes again. */
  rosterChanged (): void {
    const { journal, self } = this.#opts
    // a partition this node is a replica of (again) takes writes at once
    for (let p = 0; p < journal.partitions; p++) if (journal.core(p).retired && journal.placement(p).replicas.includes(self)) journal.core(p).retire(false)
    if (!this.#opts.leaving() && this.status.state !== 'idle') {
      for (let p = 0; p < journal.partitions; p++) journal.core(p).retire(false)
      this.#set('idle', 0, 0, [])
    }
    else if (this.#opts.leaving() && this.status.state === 'done') this.#set('handing-off', this.status.partitions, this.status.done, [])
  }

  /** One hand-off pass over every partition to give away (one at a time: a pass already running
   * is joined). */
  runOnce (): Promise<PartitionHandOffStatus> {
    this.#running ??= this.#pass().finally(() => { this.#running = undefined })
    return this.#running
  }

  async #pass (): Promise<PartitionHandOffStatus> {
    const { journal, self, log } = this.#opts
    if (!this.#opts.leaving()) {
      this.#set('idle', 0, 0, [])
      return { ...this.status }
    }
    const give: number[] = []
    let kept = 0
    for (let p = 0; p < journal.partitions; p++) {
      if (journal.placement(p).replicas.includes(self)) {
        // a replica again (too few storage nodes without it): it takes writes
        journal.core(p).retire(false)
        kept++
      } else {
        // no write lands here any more, held records or not (an owner's write still on its way
        // here goes to the rest of its set)
        journal.core(p).retire(true)
        if (journal.storage.tree(p).records > 0) give.push(p)
      }
    }
    if (this.status.state === 'idle') log.info({ partitions: give.length }, `this node is leaving the storage nodes: handing ${give.length} partitions off to their new replicas`)
    this.#set('handing-off', give.length, 0, [])
    // too few storage nodes are left without it: it stays a replica of those partitions
    const waiting: string[] = kept > 0 ? [`still a replica of ${kept} partitions: fewer storage nodes than replication-factor are left without this one (add one, and it takes them)`] : []
    let done = 0
    let next = 0
    await Promise.all(Array.from({ length: Math.min(HAND_OFF_PARALLEL, give.length) }, async () => {
      while (next < give.length && !this.#stopped) {
        const p = give[next++] as number
        const why = await this.#handOff(p)
        if (why === undefined) {
          done++
          this.status.done = done
        } else {
          waiting.push(why)
        }
      }
    }))
    if (waiting.length === 0 && !this.#stopped) {
      this.#set('done', give.length, done, [])
      log.info({ partitions: give.length }, `hand-off done: the new replicas hold everything this node held of its ${give.length} partitions; it may be stopped`)
    } else {
      this.#set('handing-off', give.length, done, waiting)
      log.warn({ waiting: waiting.slice(0, 5) }, `hand-off: ${give.length - done} of ${give.length} partitions not handed off yet (${waiting[0] ?? 'stopped'}); trying again`)
    }
    return { ...this.status, waiting: [...this.status.waiting] }
  }

  /** Hands one partition off; undefined when every new replica took it whole, else why not. */
  async #handOff (p: number): Promise<string | undefined> {
    const { journal } = this.#opts
    // no more writes land here (an owner whose view is older writes to the rest of its set): the
    // pulls below then take everything this replica will ever hold
    journal.core(p).retire(true)
    const live = this.#opts.live()
    for (const node of journal.placement(p).replicas) {
      if (!live.has(node)) return `partition ${p}: its new replica ${node} is down`
      // (this node is fenced as a former holder and read when a newer log here is recovered)
      const why = await pullUntilClean(journal, p, `${node} taking it from this node`, async () => await this.#opts.takeOver(node, p), HAND_OFF_ROUNDS)
      if (why !== undefined) return why
    }
    return undefined
  }

  #set (state: PartitionHandOffStatus['state'], partitions: number, done: number, waiting: string[]): void {
    if (state !== this.status.state) this.status.since = Date.now()
    this.status.state = state
    this.status.partitions = partitions
    this.status.done = done
    this.status.waiting = waiting
  }
}
