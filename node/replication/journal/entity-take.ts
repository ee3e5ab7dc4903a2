import { kindOf } from '../../../protocols/index.ts'
import { DEFAULT_LEASE_MS, FENCE_ATTEMPTS, FENCE_BACKOFF_MAX_MS, FENCE_BACKOFF_MIN_MS, FENCE_CALL_TRIES, LEASE_CONTENTION_JITTER, LEASE_WAITS } from '../constants.ts'
import { FenceContendedError, ReplicasUnavailableError } from '../errors.ts'
import { EntityLeaseHeldError, RosterChangedError, TakeAbandonedError } from '../lease-errors.ts'
import { laterRevision } from '../replica/replica-protocol.ts'
import type { StoredRecord } from '../replica/replica-protocol.ts'
import type { EntityLogOptions } from './entity-log-options.ts'
import { fenceRound, holdsFence } from './fence-round.ts'
import type { FenceRound } from './fence-round.ts'
import { newTrack } from './log-state.ts'
import type { LogInit } from './log-state.ts'
import { EMPTY_SUMMARY, compareLogs, epochAt, floorOf, genAfter, latestGen, matchPoint, revisedOf, sentOf, withRecords } from './log-summary.ts'
import type { Generation, LogSummary, Segment } from './log-summary.ts'
import { fenceQuorum, holdsEarlierSet } from './quorum.ts'
import { sleepOn } from './owner-env.ts'

/** What the fence round that took the entity read: its epoch, the logs that promised it, the best
 * of them and that log's last record (what recovery seals in the new epoch). */
export interface TakenLog {
  readonly epoch: number
  /** The replicas' promises, with their logs' summaries. */
  readonly fenced: ReadonlyMap<string, LogSummary>
  /** The former holders' promises. */
  readonly former: ReadonlyMap<string, LogSummary>
  readonly best: { readonly node: string, readonly summary: LogSummary }
  readonly last: StoredRecord | undefined
  /** When each replica's promise was asked for (the lease it granted, on the owner's clock). */
  readonly sentAt: ReadonlyMap<string, number>
}

/** Whom a take asks, and how many promises it needs. */
interface TakePlan {
  /** Former holders that are not replicas of this view's set. */
  readonly formers: readonly string[]
  /** F: the fence quorum of the replicas. */
  readonly f: number
  /** Possible holders known to be down (not asked). */
  readonly absent: number
  /** Other nodes may hold the journal: every node is waited for, replicas included. */
  readonly all: boolean
  readonly tries: number
}

/**
 * Takes the entity for a new activation (docs/replication.md, steps 1–2): fences an epoch with F
 * replicas (and every former holder), and reads the best log among those that promised, with its
 * last record. Waits out another owner's lease, retries above a newer promise, and rejects with
 * ReplicasUnavailableError (too few answer), FenceContendedError (other activations keep taking
 * it), EntityLeaseHeldError (another owner keeps its lease), TakeAbandonedError (`signal`) or
 * RosterChangedError (`stale`: the view it was planned on changed; its promises let go).
 */
export async function takeEntity (opts: EntityLogOptions): Promise<TakenLog> {
  const { entityId, replicas, env } = opts
  let plan = planOf(opts, opts.formerHolders, opts.absentHolders)
  let widened = opts.widen === undefined
  // (and what rule 3 needs of the replicas that are in an earlier set: a round that stopped at the
  // first F answers would miss one whose promise the set needs, and the take would fail for it)
  const enough = (r: FenceRound): boolean => holdsFence(r, replicas, plan.f) && replicasHoldOlderSets(opts, r)
  // (never at or below an epoch this owner tried before: EntityLogOptions.minEpoch)
  let floor = (opts.minEpoch ?? 1) - 1
  let backoff = FENCE_BACKOFF_MIN_MS
  // another owner's lease is waited out, a few leases at most (docs/replication.md, "Leases")
  const leaseMs = opts.lease?.ms ?? DEFAULT_LEASE_MS
  let leaseWaited = 0
  for (let attempt = 0; attempt < FENCE_ATTEMPTS; attempt++) {
    if (opts.signal?.aborted === true) throw new TakeAbandonedError(entityId)
    // (after a lease waited out or a backoff: the roster may have changed meanwhile)
    if (opts.stale?.() === true) throw new RosterChangedError(entityId)
    // a clock reading as the first try: above what any earlier activation promised unless the
    // clocks disagree by more than the time between activations (then the refusal says how high)
    const epoch = Math.max(floor + 1, Math.floor(env.now()))
    opts.tried?.(epoch)
    const fence = { op: 'fence', entity: entityId, epoch, activation: opts.activation } as const
    // former holders are fenced too (an owner still writing to an older replica set is stopped
    // by them), and then every node is waited for, replicas included: a record acknowledged on
    // an older set may be on a current replica that is not among the first F to answer
    const [round, former] = await Promise.all([fenceRound(env, replicas, fence, plan.all ? () => false : enough, plan.tries), fenceRound(env, plan.formers, fence, () => false, plan.tries)])
    if (opts.stale?.() === true) {
      // the roster changed while the round was out: a node it brought in was not fenced, and an
      // owner under the new view may have acknowledged records there (docs/replication.md,
      // "Roster changes"): the take starts again under the new view, never on this plan
      letGo(opts, epoch, round, former, 0)
      throw new RosterChangedError(entityId)
    }
    if (round.learners.size > 0 && !widened && opts.widen !== undefined) {
      // a replica still catching up: the set does not hold the partition whole yet, and what it
      // lacks may be on any storage node (the recorded former holders may not say every one: a
      // node that joined records only what it saw placed): every one is fenced, as before records
      letGo(opts, epoch, round, former, 0)
      plan = planOf(opts, opts.widen.formerHolders, opts.widen.absentHolders)
      widened = true
      attempt--
      continue
    }
    // (and, when other nodes may hold it, none refused for another owner's lease: such a replica
    // is up and its log unread, its lease ends within lease-ms; recovering without it would spend
    // the slack that a lost or damaged copy elsewhere may need)
    if (enough(round) && (!plan.all || (seesEveryWrite(opts, plan, round, former) && round.leaseWait + former.leaseWait === 0)) && holdsOlderSets(opts, round, former)) {
      const taken = await readBest(opts, plan.f, epoch, round, former)
      if (round.learners.size === 0 && replicas.every((n) => round.oks.has(n))) opts.onWhole?.()
      return taken
    }
    const contended = round.highest !== undefined || former.highest !== undefined
    const leaseWait = Math.max(round.leaseWait, former.leaseWait)
    letGo(opts, epoch, round, former, leaseWait)
    if (!contended && leaseWait > 0) {
      // refused only for another owner's lease, which ends in leaseWait ms on the replica's
      // clock: asked again then (a little later: the clocks may disagree, and others may wait
      // too; a random part of a lease more keeps two that were refused together apart)
      if (leaseWaited + leaseWait > LEASE_WAITS * leaseMs) throw new EntityLeaseHeldError(entityId, leaseWaited)
      const r = env.random()
      const ms = leaseWait * (1 + (opts.lease?.maxDrift ?? 0)) + FENCE_BACKOFF_MIN_MS * r
      // (the random part of a lease more is not counted against the leases it may wait)
      await sleepOn(env, ms + leaseMs * LEASE_CONTENTION_JITTER * r, opts.signal)
      leaseWaited += ms
      attempt--
      continue
    }
    if (!contended) throw refusal(opts, plan, round, former)
    floor = Math.max(floor, round.highest ?? 0, former.highest ?? 0)
    await sleepOn(env, backoff * (0.5 + env.random()), opts.signal)
    backoff = Math.min(FENCE_BACKOFF_MAX_MS, backoff * 2)
  }
  if (opts.signal?.aborted === true) throw new TakeAbandonedError(entityId)
  throw new FenceContendedError(entityId, FENCE_ATTEMPTS)
}

function planOf (opts: EntityLogOptions, formerHolders: readonly string[] | undefined, absentHolders: number | undefined): TakePlan {
  const formers = (formerHolders ?? []).filter((n) => !opts.replicas.includes(n))
  const absent = absentHolders ?? 0
  const all = formers.length + absent > 0
  return { formers, f: fenceQuorum(opts.replicas.length, opts.writeQuorum), absent, all, tries: all ? FENCE_CALL_TRIES : 1 }
}

/**
 * When other storage nodes may hold the journal (the views of the replica set may differ between
 * nodes: docs/replication.md, "Roster changes"), F promises of this view's replicas do not prove
 * that every acknowledged record is among the logs read: one acknowledged by an owner whose view
 * named other replicas is on W nodes of its set, which may miss this set's F. So every node that
 * may hold it is asked, and the logs read must leave out fewer than W of them (those that refused
 * — a newer activation holds them —, failed, or were not asked because they are down): then a node
 * of any W holds it, whatever set they were, and its log was read.
 */
function seesEveryWrite (opts: EntityLogOptions, plan: TakePlan, round: FenceRound, former: FenceRound): boolean {
  return opts.replicas.length + plan.formers.length + plan.absent - round.oks.size - former.oks.size < opts.writeQuorum
}

/** Whether the promises hold each earlier version's set (EntityLogOptions.olderSets): all but fewer
 * than min(W, F) of its nodes, F that set's fence quorum. */
function holdsOlderSets (opts: EntityLogOptions, round: FenceRound, former: FenceRound): boolean {
  return olderSetsHeld(opts, (n) => round.oks.has(n) || former.oks.has(n))
}

/** Whether the replicas' round holds each earlier set as far as the replicas in it go (its other
 * nodes are the former holders' round's, which waits for every one: counted as promised here). */
function replicasHoldOlderSets (opts: EntityLogOptions, round: FenceRound): boolean {
  return olderSetsHeld(opts, (n) => !opts.replicas.includes(n) || round.oks.has(n))
}

function olderSetsHeld (opts: EntityLogOptions, promised: (node: string) => boolean): boolean {
  return (opts.olderSets ?? []).every((set) => {
    const { nodes, writeQuorum: w, lost } = 'nodes' in set ? set : { nodes: set, writeQuorum: opts.writeQuorum, lost: 0 }
    return holdsEarlierSet(nodes.length, lost ?? 0, nodes.filter((n) => !promised(n)).length, w)
  })
}

/** The best log among those that promised, and its last record: from the best replica, or one
 * whose log ends in the same record when it cannot be read there (a damaged copy fails its seal
 * and is never returned). */
async function readBest (opts: EntityLogOptions, f: number, epoch: number, round: FenceRound, former: FenceRound): Promise<TakenLog> {
  const { entityId, env } = opts
  const best = [...round.oks, ...former.oks].map(([node, summary]) => ({ node, summary })).sort((a, b) => compareLogs(a.summary, b.summary))[0] as { node: string, summary: LogSummary }
  let last: StoredRecord | undefined
  // a log trimmed whole (its floor past its head) has no last record to seal: every record of it
  // was acknowledged before the trim (docs/replication.md, "Rewrites and trims")
  if (best.summary.head > 0 && floorOf(best.summary) <= best.summary.head) {
    const logs = [...round.oks, ...former.oks]
    const same = logs.filter(([node, s]) => node !== best.node && s.head === best.summary.head && s.headEpoch === best.summary.headEpoch).map(([node]) => node)
    const read = async (node: string): Promise<StoredRecord> => {
      const [rec] = await env.call(node, { op: 'read', entity: entityId, from: best.summary.head, limit: 1 })
      if (rec?.seq === best.summary.head && rec.epoch === best.summary.headEpoch) return rec
      throw new ReplicasUnavailableError(entityId, 'recovery', f, round.oks.size, `${node} no longer holds seq ${best.summary.head}`)
    }
    // the copy of a replica that holds every rewrite known whole (or any, where none was made);
    // where none of those can be read, every copy, and the latest revision of them — but only when
    // every one answered: the one that did not may be the one holding an acknowledged rewrite of
    // this record, and a copy that missed it must not bring its old event back in the new epoch
    // (seed 712001921: the replica with the rewrite timed out, and the seal took the other's)
    const latest = latestGen(logs.map(([, s]) => sentOf(s)))
    const summaries = new Map(logs)
    const holders = [best.node, ...same]
    let why: unknown
    for (const node of holders.filter((n) => latest.gen === 0 || genAfter(revisedOf(summaries.get(n) ?? EMPTY_SUMMARY), latest, true))) {
      try {
        last = await read(node)
        break
      } catch (err) {
        why ??= err
      }
    }
    if (last === undefined && latest.gen > 0) {
      // (side by side: a recovery waits for one round trip)
      const answers = await Promise.allSettled(holders.map(read))
      for (const r of answers) {
        if (r.status === 'rejected') why ??= r.reason
        else if (last === undefined || laterRevision(r.value, last)) last = r.value
      }
      if (answers.some((r) => r.status === 'rejected')) last = undefined
    }
    if (last === undefined) throw why
  }
  return { epoch, fenced: round.oks, former: former.oks, best, last, sentAt: round.sentAt }
}

/** A round that did not take the entity: said at debug, and the leases its promises granted this
 * activation let go of before it waits or asks again. What refused it may be another new
 * activation taking the entity at the same moment (two nodes' views each named itself the owner
 * for a while): each holding a part of the replicas and their leases, neither would ever get them
 * all. */
function letGo (opts: EntityLogOptions, epoch: number, round: FenceRound, former: FenceRound, leaseWait: number): void {
  const { entityId, env } = opts
  const promised = [...round.oks.keys(), ...former.oks.keys()]
  if (opts.log !== undefined) {
    const errors = [...round.errors, ...former.errors]
    opts.log.debug({ entity: entityId, epoch, promised, leaseWaitMs: leaseWait, highest: round.highest ?? former.highest, errors },
      `${entityId}: fence of epoch ${epoch} did not take it (promised by ${promised.length}; ${round.refused} refused; lease left ${leaseWait} ms; ${errors[0] ?? 'no error'})`)
  }
  if (opts.lease !== undefined) {
    // (a release that does not arrive costs the next try one lease's wait at that replica)
    for (const node of promised) env.call(node, { op: 'release', entity: entityId, holder: opts.activation }).catch(noop)
  }
}

/** Why a round that nobody newer contended did not take the entity. */
function refusal (opts: EntityLogOptions, plan: TakePlan, round: FenceRound, former: FenceRound): unknown {
  const { entityId, replicas, writeQuorum } = opts
  const { formers, absent, f } = plan
  // a replica that failed in itself (a corrupt record, a full disk) says more than "too few
  // answered": its own error goes up
  const broken = round.failures.find((e) => kindOf(e) !== 'unavailable' && kindOf(e) !== 'timeout')
  if (broken instanceof Error) return broken
  if (holdsFence(round, replicas, f)) {
    const silent = [...replicas, ...formers].filter((n) => !round.oks.has(n) && !former.oks.has(n))
    const unread = [...(silent.length > 0 ? [`${silent.join(', ')} did not answer`] : []), ...(absent > 0 ? [`${absent} storage node${absent === 1 ? '' : 's'} that may hold it ${absent === 1 ? 'is' : 'are'} down`] : [])]
    const why = [...round.errors, ...former.errors][0]
    // (counted as what this take needs: every node that may hold the journal, but fewer than W)
    const mayHold = replicas.length + formers.length + absent
    return new ReplicasUnavailableError(entityId, 'taking the entity', mayHold - writeQuorum + 1, round.oks.size + former.oks.size, `${unread.join(' and ')}, and the storage nodes' views of its replicas may differ: a write acknowledged on ${writeQuorum} of them might be there${why === undefined ? '' : ` (${why})`}`)
  }
  if (round.oks.size >= f) {
    // enough promises, but from a learner while another replica did not answer: that one
    // may hold records acknowledged before the learner became a replica
    const missing = replicas.filter((n) => !round.oks.has(n))
    return new ReplicasUnavailableError(entityId, 'taking the entity', replicas.length, replicas.filter((n) => round.oks.has(n)).length, `${[...round.learners].join(', ')} still catching up as a new replica, and ${missing.join(', ')} did not answer${round.errors[0] === undefined ? '' : `: ${round.errors[0]}`}`)
  }
  return new ReplicasUnavailableError(entityId, 'taking the entity', f, round.oks.size + round.refused, round.errors[0])
}

/** How a log taken by a fence round starts (step 3): the best log's last record sealed in this
 * epoch, each replica's standing from its summary, the former holders as sources of records. */
export function recoveredInit (opts: EntityLogOptions, taken: TakenLog): LogInit {
  const { epoch, fenced, former, best, last, sentAt } = taken
  const b = best.summary
  let segments: Segment[] = [...b.segments]
  let tail: StoredRecord[] = []
  let tailStart = b.head + 1
  if (last !== undefined) {
    // the best log's last record, sealed in this epoch (step 3)
    segments = withRecords(segments, last.seq, [epoch])
    // (a record of its own epoch: its revisions start again)
    tail = [{ seq: last.seq, epoch, event: last.event }]
    tailStart = last.seq
  }
  // the highest floor any of them holds: below it every record was acknowledged and trimmed (the
  // best log holds every acknowledged record, so it reaches floor − 1)
  const logs = [...fenced.values(), ...former.values()]
  const floor = Math.min(b.head + 1, Math.max(1, ...logs.map(floorOf)))
  let floorEpoch: number | undefined
  if (floor > 1) {
    // (its own log's first: the best log's last record is sealed in this epoch)
    for (const x of [{ segments, head: b.head }, ...logs]) floorEpoch ??= epochAt(x.segments, x.head, floor - 1)
  }
  const own = { segments, head: b.head, floor }
  const init: LogInit = {
    epoch,
    head: b.head,
    segments,
    tail,
    tailStart,
    sealed: b.head,
    committed: 0,
    tracks: opts.replicas.map((node) => {
      const summary = fenced.get(node)
      // a promise is a grant of the lease, from when the fence was sent
      return newTrack(node, { summary, match: summary === undefined ? -1 : matchPoint(own, summary), granted: sentAt.get(node) ?? -Infinity })
    }),
    sources: [...former].map(([node, summary]) => newTrack(node, { summary, match: matchPoint(own, summary), broken: true })),
    snapshotHolders: [...fenced, ...former].filter(([, s]) => s.snapshotSeq > 0 && s.snapshotSeq <= b.head)
      .map(([node, s]) => ({ node, seq: s.snapshotSeq })).sort((x, y) => y.seq - x.seq),
    holder: opts.activation,
    readFloor: b.head,
    floor,
    // (the latest rewrite generation any of them was sent: one acknowledged reached W of them)
    ...genInit(latestGen(logs.map(sentOf))),
    ...(floorEpoch !== undefined && { floorEpoch })
  }
  // the best replica holds the owner's log up to the sealed record
  const source = init.tracks.find((t) => t.node === best.node) ?? init.sources.find((t) => t.node === best.node)
  if (source !== undefined && b.head > 0) source.match = Math.max(source.match, last === undefined ? b.head : b.head - 1)
  return init
}

function genInit (g: Generation): { revised: number, revisedEpoch: number } {
  return { revised: g.gen, revisedEpoch: g.epoch }
}

function noop (): void {}
